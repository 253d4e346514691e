/* The roundtable executable: one table of commands, each with its options from the
 * configuration table (config.c). */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "roundtable/db.h"
#include "roundtable/log.h"
#include "serve.h"

typedef struct command {
  const char *name;
  unsigned options; /* RT_CMD_* bit: which configuration options it takes */
  int (*run)(rt_config_t *cfg);
  const char *summary;
} command_t;

static int cmd_migrate(rt_config_t *cfg) {
  if (!cfg->db.conninfo) {
    fprintf(stderr, "roundtable migrate: no database: pass --db CONNINFO or set ROUNDTABLE_DB\n");
    return 2;
  }
  char err[512];
  int rc = rt_db_migrate(cfg->db.conninfo, err, sizeof(err));
  if (rc) {
    fprintf(stderr, "roundtable migrate: %s\n", err[0] ? err : rt_strerror(rc));
    return 1;
  }
  return 0;
}

static const command_t commands[] = {
    {"serve", RT_CMD_SERVE, rt_serve, "run the HTTP service"},
    {"migrate", RT_CMD_MIGRATE, cmd_migrate, "apply the database migrations; safe to run again"},
};

#define COMMAND_COUNT (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out) {
  fprintf(out, "Usage: roundtable COMMAND [OPTIONS]\n\n"
               "Roundtable matches capacity-building needs with offers.\n\nCommands:\n");
  for (size_t i = 0; i < COMMAND_COUNT; i++)
    fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf(out, "\nRun 'roundtable COMMAND --help' for a command's options.\n");
}

static int wants_help(int argc, char **argv) {
  for (int i = 0; i < argc; i++)
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
      return 1;
  return 0;
}

int main(int argc, char **argv) {
  /* Writes to a socket the peer closed must fail with EPIPE, not kill the process. */
  signal(SIGPIPE, SIG_IGN);
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    usage(stdout);
    return 0;
  }
  if (strcmp(argv[1], "--version") == 0) {
    printf("roundtable %s\n", RT_VERSION);
    return 0;
  }
  const command_t *cmd = NULL;
  for (size_t i = 0; i < COMMAND_COUNT; i++)
    if (strcmp(argv[1], commands[i].name) == 0)
      cmd = &commands[i];
  if (!cmd) {
    fprintf(stderr, "roundtable: unknown command \"%s\" (see roundtable --help)\n", argv[1]);
    return 2;
  }
  if (wants_help(argc - 2, argv + 2)) {
    printf("Usage: roundtable %s [OPTIONS]\n\n%s.\n\n", cmd->name, cmd->summary);
    rt_config_usage(stdout, cmd->options);
    return 0;
  }
  rt_config_t cfg;
  char err[256];
  if (rt_config_load(&cfg, cmd->options, argc - 2, argv + 2, err, sizeof(err))) {
    fprintf(stderr, "roundtable %s: %s\n", cmd->name, err);
    return 2;
  }
  rt_log_threshold = cfg.log_level;
  return cmd->run(&cfg);
}
