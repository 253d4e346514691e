/* The roundtable executable: one table of commands, each with its options from the
 * configuration table (config.c). */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "roundtable/api.h"
#include "roundtable/db.h"
#include "roundtable/log.h"
#include "serve.h"

typedef struct command {
  const char *name;
  const char *sub;  /* second word ("token create"), or NULL */
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

static int cmd_token_create(rt_config_t *cfg) {
  if (!cfg->db.conninfo) {
    fprintf(stderr,
            "roundtable token create: no database: pass --db CONNINFO or set ROUNDTABLE_DB\n");
    return 2;
  }
  char token[64], err[512];
  int rc = rt_api_token_create(&cfg->db, cfg->token.role, cfg->token.participant, cfg->token.label,
                               token, sizeof(token), err, sizeof(err));
  if (rc) {
    fprintf(stderr, "roundtable token create: %s\n", err);
    return rc == RT_EINVAL ? 2 : 1;
  }
  printf("%s\n", token);
  return 0;
}

/* The password comes from stdin (one line), never from the command line, where other users
 * of the machine could read it. */
static int cmd_account_create(rt_config_t *cfg) {
  if (!cfg->db.conninfo) {
    fprintf(stderr,
            "roundtable account create: no database: pass --db CONNINFO or set ROUNDTABLE_DB\n");
    return 2;
  }
  char password[1100], id[32], err[512];
  size_t len = fread(password, 1, sizeof(password) - 1, stdin);
  password[len] = '\0';
  char *nl = memchr(password, '\n', len);
  if (nl)
    len = (size_t)(nl - password);
  if (len && password[len - 1] == '\r')
    len--;
  password[len] = '\0';
  int rc =
      rt_api_account_create(&cfg->db, cfg->account.email, cfg->token.role, cfg->token.participant,
                            password, len, id, sizeof(id), err, sizeof(err));
  memset(password, 0, sizeof(password));
  if (rc) {
    fprintf(stderr, "roundtable account create: %s\n", err);
    return rc == RT_EINVAL ? 2 : 1;
  }
  printf("%s\n", id);
  return 0;
}

static int cmd_demo(rt_config_t *cfg) {
  if (!cfg->db.conninfo) {
    fprintf(stderr, "roundtable demo: no database: pass --db CONNINFO or set ROUNDTABLE_DB\n");
    return 2;
  }
  char err[512];
  int loaded = 0;
  if (rt_api_demo_load(cfg->db.conninfo, &loaded, err, sizeof(err))) {
    fprintf(stderr, "roundtable demo: %s\n", err);
    return 1;
  }
  printf("%s\n", loaded ? "demo roundtable loaded" : "demo roundtable already present");
  return 0;
}

static int cmd_summary(rt_config_t *cfg) {
  if (!cfg->db.conninfo) {
    fprintf(stderr, "roundtable summary: no database: pass --db CONNINFO or set ROUNDTABLE_DB\n");
    return 2;
  }
  if (!cfg->summary.roundtable) {
    fprintf(stderr, "roundtable summary: which roundtable? pass --roundtable ID\n");
    return 2;
  }
  char err[512];
  rt_buf_t out;
  rt_buf_init(&out, 0);
  int rc = rt_api_summary(&cfg->db, cfg->summary.roundtable, cfg->summary.format, cfg->summary.lang,
                          &out, err, sizeof(err));
  if (!rc && out.len && fwrite(out.data, 1, out.len, stdout) != out.len)
    rc = RT_EIO, snprintf(err, sizeof(err), "cannot write to stdout");
  if (!rc && fflush(stdout))
    rc = RT_EIO, snprintf(err, sizeof(err), "cannot write to stdout");
  rt_buf_free(&out);
  if (rc) {
    fprintf(stderr, "roundtable summary: %s\n", err);
    return rc == RT_EINVAL ? 2 : 1;
  }
  return 0;
}

static const command_t commands[] = {
    {"serve", NULL, RT_CMD_SERVE, rt_serve, "run the HTTP service"},
    {"migrate", NULL, RT_CMD_MIGRATE, cmd_migrate,
     "apply the database migrations; safe to run again"},
    {"demo", NULL, RT_CMD_MIGRATE, cmd_demo,
     "load the demo roundtable (New York, 10 May 2024) unless it is there"},
    {"summary", NULL, RT_CMD_SUMMARY, cmd_summary,
     "write a roundtable's summary to stdout (--roundtable, --format, --lang)"},
    {"token", "create", RT_CMD_TOKEN, cmd_token_create,
     "print a new API token (--role, --participant, --label)"},
    {"account", "create", RT_CMD_ACCOUNT, cmd_account_create,
     "create an account (--email, --role, --participant; password on stdin); print its id"},
};

#define COMMAND_COUNT (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out) {
  fprintf(out, "Usage: roundtable COMMAND [OPTIONS]\n\n"
               "Roundtable matches capacity-building needs with offers.\n\nCommands:\n");
  for (size_t i = 0; i < COMMAND_COUNT; i++) {
    char name[32];
    snprintf(name, sizeof(name), "%s%s%s", commands[i].name, commands[i].sub ? " " : "",
             commands[i].sub ? commands[i].sub : "");
    fprintf(out, "  %-14s %s\n", name, commands[i].summary);
  }
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
  for (size_t i = 0; i < COMMAND_COUNT && !cmd; i++) {
    if (strcmp(argv[1], commands[i].name) != 0)
      continue;
    if (commands[i].sub && (argc < 3 || strcmp(argv[2], commands[i].sub) != 0)) {
      if (argc >= 3 && strcmp(argv[2], "--help") == 0) {
        printf("Usage: roundtable %s %s [OPTIONS]\n", commands[i].name, commands[i].sub);
        return 0;
      }
      fprintf(stderr, "roundtable %s: expected \"%s %s\"\n", argv[1], commands[i].name,
              commands[i].sub);
      return 2;
    }
    cmd = &commands[i];
  }
  if (!cmd) {
    fprintf(stderr, "roundtable: unknown command \"%s\" (see roundtable --help)\n", argv[1]);
    return 2;
  }
  int first = cmd->sub ? 3 : 2; /* where the options start */
  char title[32];
  snprintf(title, sizeof(title), "%s%s%s", cmd->name, cmd->sub ? " " : "",
           cmd->sub ? cmd->sub : "");
  if (wants_help(argc - first, argv + first)) {
    printf("Usage: roundtable %s [OPTIONS]\n\n%s.\n\n", title, cmd->summary);
    rt_config_usage(stdout, cmd->options);
    return 0;
  }
  rt_config_t cfg;
  char err[256];
  if (rt_config_load(&cfg, cmd->options, argc - first, argv + first, err, sizeof(err))) {
    fprintf(stderr, "roundtable %s: %s\n", title, err);
    return 2;
  }
  rt_log_threshold = cfg.log_level;
  return cmd->run(&cfg);
}
