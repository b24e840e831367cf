/* sr-fixity.h — checksum manifests for delivered files, in the forms that
 * archival tools read.
 *
 * manifest-sha256.txt (and manifest-md5.txt where an archive's systems ask
 * for MD5) hold one "CHECKSUM  PATH" line per file, PATH relative to the
 * folder that holds the manifest: `sha256sum -c manifest-sha256.txt` and
 * `md5sum -c manifest-md5.txt` check them there. As a BagIt bag (RFC 8493)
 * the payload lies under data/, the folder also holds bagit.txt and
 * bag-info.txt, and tagmanifest-*.txt list the tag files.
 *
 * Checksums are computed by reading each file back from disk after it was
 * written, so they describe the bytes on disk. Manifests are written
 * atomically and read back; entries for files that are not part of this
 * write (an earlier delivery into the same folder) are kept. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define SR_FIXITY_ERROR (sr_fixity_error_quark())
GQuark sr_fixity_error_quark(void);

typedef enum {
  SR_FIXITY_ERROR_IO,
  SR_FIXITY_ERROR_FORMAT,   /* a manifest line is not CHECKSUM  PATH */
  SR_FIXITY_ERROR_MISMATCH, /* a file is missing or its checksum differs */
} SrFixityError;

typedef enum {
  SR_FIXITY_SHA256 = 1 << 0,
  SR_FIXITY_MD5 = 1 << 1,
} SrFixityAlgorithms;

typedef struct {
  guint algorithms;         /* SR_FIXITY_SHA256, optionally | SR_FIXITY_MD5 */
  gboolean bagit;           /* root is a bag: files lie under data/ */
  const char *organisation; /* bag-info Source-Organization, or NULL */
  const char *description;  /* bag-info External-Description, or NULL */
} SrFixityOptions;

/* Writes (or updates) the manifests in root for files, given relative to
 * root ("data/x.exr" in a bag). Fails naming the file or manifest line. */
gboolean sr_fixity_write(const char *root, const char *const *files, const SrFixityOptions *o,
                         GError **error);

/* Checks every manifest (and tag manifest) in root. problems gets one line
 * per failure ("frame.exr: checksum mismatch (SHA-256)", "x.exr: missing");
 * *n_checked counts the entries checked. FALSE with error only when no
 * manifest can be read or one is malformed. */
gboolean sr_fixity_verify(const char *root, GPtrArray *problems, int *n_checked, GError **error);

/* Digests of one file as lower-case hex (sha256 65 bytes, md5 33 bytes;
 * either may be NULL). */
gboolean sr_fixity_digest_file(const char *path, char *sha256, char *md5, GError **error);

G_END_DECLS
