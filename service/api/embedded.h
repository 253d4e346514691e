/* Documents compiled into the binary (cmake/Embed.cmake): the OpenAPI document from
 * docs/ and the demo data from sql/demo/. */
#ifndef ROUNDTABLE_API_EMBEDDED_H
#define ROUNDTABLE_API_EMBEDDED_H

typedef struct rt__embedded_s {
  const char *name; /* file name */
  const char *text; /* contents, NUL-terminated */
} rt__embedded_t;

extern const rt__embedded_t rt__api_documents[];
extern const int rt__api_documents_count;

/* The document of that file name, or NULL. */
const rt__embedded_t *rt__api_document(const char *name);

#endif
