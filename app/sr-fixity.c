/* sr-fixity.c — SHA-256/MD5 manifests, BagIt tag files and their check
 * (see sr-fixity.h). */
#include "sr-config.h"

#include "sr-fixity.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "sr-fs.h"
#include "sr-md5.h"
#include "sr-sha256.h"
#include "sr-time.h"

G_DEFINE_QUARK(sr - fixity - error - quark, sr_fixity_error)

/* A manifest is a few lines per delivered frame: anything past this is not
 * one of ours. */
#define MAX_MANIFEST_BYTES (64 * 1024 * 1024)

typedef struct {
  SrFixityAlgorithms alg;
  const char *name;  /* in file names */
  const char *label; /* in messages */
  gsize hex_len;
} Algorithm;

static const Algorithm algorithms[] = {
    {SR_FIXITY_SHA256, "sha256", "SHA-256", 64},
    {SR_FIXITY_MD5, "md5", "MD5", 32},
};

typedef struct {
  char *path; /* relative to the manifest's folder */
  char *hex;
} Entry;

static void
entry_free(gpointer p)
{
  Entry *e = p;
  g_free(e->path);
  g_free(e->hex);
  g_free(e);
}

gboolean
sr_fixity_digest_file(const char *path, char *sha256, char *md5, GError **error)
{
  sr_error err = {0};
  int fd = sr_open_regular(path, &err);
  if (fd < 0) {
    g_set_error(error, SR_FIXITY_ERROR,
                err.code == SR_ERR_MISSING ? SR_FIXITY_ERROR_MISMATCH : SR_FIXITY_ERROR_IO, "%s",
                err.message);
    return FALSE;
  }
  sr_sha256 s;
  sr_md5 m;
  sr_sha256_init(&s);
  sr_md5_init(&m);
  enum { CHUNK = 1 << 20 };
  g_autofree guint8 *buf = g_malloc(CHUNK);
  for (;;) {
    ssize_t n = read(fd, buf, CHUNK);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int e = errno;
      close(fd);
      g_set_error(error, SR_FIXITY_ERROR, SR_FIXITY_ERROR_IO, _("cannot read %s: %s"), path,
                  g_strerror(e));
      return FALSE;
    }
    if (n == 0)
      break;
    if (sha256)
      sr_sha256_update(&s, buf, (size_t)n);
    if (md5)
      sr_md5_update(&m, buf, (size_t)n);
  }
  close(fd);
  if (sha256) {
    guint8 d[SR_SHA256_DIGEST_SIZE];
    sr_sha256_final(&s, d);
    sr_sha256_hex(d, sha256);
  }
  if (md5) {
    guint8 d[SR_MD5_DIGEST_SIZE];
    sr_md5_final(&m, d);
    sr_md5_hex(d, md5);
  }
  return TRUE;
}

/* A path a manifest may name: relative, inside its folder, one line. */
static gboolean
path_ok(const char *p)
{
  if (!*p || *p == '/' || strpbrk(p, "\r\n\\") || !g_utf8_validate(p, -1, NULL))
    return FALSE;
  g_auto(GStrv) parts = g_strsplit(p, "/", -1);
  for (int i = 0; parts[i]; i++)
    if (!*parts[i] || strcmp(parts[i], "..") == 0 || strcmp(parts[i], ".") == 0)
      return FALSE;
  return TRUE;
}

/* Entries of a manifest (sha256sum's "HEX  PATH" or "HEX *PATH", or
 * RFC 8493's "HEX<whitespace>PATH"); *exists FALSE when there is none. */
static gboolean
read_manifest(const char *file, const Algorithm *a, GPtrArray *entries, gboolean *exists,
              GError **error)
{
  *exists = g_file_test(file, G_FILE_TEST_EXISTS);
  if (!*exists)
    return TRUE;
  sr_error err = {0};
  size_t len = 0;
  g_autofree char *text = sr_read_file(file, MAX_MANIFEST_BYTES, &len, &err);
  if (!text) {
    g_set_error(error, SR_FIXITY_ERROR, SR_FIXITY_ERROR_IO, "%s", err.message);
    return FALSE;
  }
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  for (int i = 0; lines[i]; i++) {
    const char *l = lines[i];
    if (!*l)
      continue;
    gsize h = 0;
    while (g_ascii_isxdigit(l[h]))
      h++;
    const char *p = l + h;
    while (*p == ' ' || *p == '\t')
      p++;
    if (*p == '*' && p > l + h)
      p++;
    if (h != a->hex_len || p == l + h || !path_ok(p)) {
      g_set_error(error, SR_FIXITY_ERROR, SR_FIXITY_ERROR_FORMAT,
                  _("%s, line %d: expected a %s checksum (%u hex digits), two spaces and a "
                    "relative path inside the folder. Move the file away and deliver again, or "
                    "repair the line"),
                  file, i + 1, a->label, (unsigned)a->hex_len);
      return FALSE;
    }
    Entry *e = g_new0(Entry, 1);
    e->hex = g_ascii_strdown(l, (gssize)h);
    e->path = g_strdup(p);
    g_ptr_array_add(entries, e);
  }
  return TRUE;
}

static gint
compare_entries(gconstpointer a, gconstpointer b)
{
  return strcmp((*(Entry *const *)a)->path, (*(Entry *const *)b)->path);
}

static gboolean
write_atomic(const char *path, const char *text, GError **error)
{
  sr_error err = {0};
  if (!sr_write_file_atomic(path, text, strlen(text), &err)) {
    g_set_error(error, SR_FIXITY_ERROR, SR_FIXITY_ERROR_IO, "%s", err.message);
    return FALSE;
  }
  return TRUE;
}

/* Writes a manifest of entries (sorted), then reads it back and checks that
 * it holds exactly what was meant. */
static gboolean
write_manifest(const char *file, const Algorithm *a, GPtrArray *entries, GError **error)
{
  g_ptr_array_sort(entries, compare_entries);
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < entries->len; i++) {
    const Entry *e = g_ptr_array_index(entries, i);
    g_string_append_printf(s, "%s  %s\n", e->hex, e->path);
  }
  g_autofree char *text = g_string_free(s, FALSE);
  if (!write_atomic(file, text, error))
    return FALSE;
  g_autoptr(GPtrArray) back = g_ptr_array_new_with_free_func(entry_free);
  gboolean exists;
  if (!read_manifest(file, a, back, &exists, error))
    return FALSE;
  g_ptr_array_sort(back, compare_entries);
  gboolean same = exists && back->len == entries->len;
  for (guint i = 0; same && i < back->len; i++) {
    const Entry *x = g_ptr_array_index(back, i), *y = g_ptr_array_index(entries, i);
    same = strcmp(x->path, y->path) == 0 && strcmp(x->hex, y->hex) == 0;
  }
  if (!same) {
    g_set_error(error, SR_FIXITY_ERROR, SR_FIXITY_ERROR_MISMATCH,
                _("%s did not read back as written; the disk or folder may be failing"), file);
    return FALSE;
  }
  return TRUE;
}

/* Entries of an existing manifest for files other than `ours`, plus ours. */
static gboolean
merged_entries(const char *file, const Algorithm *a, GHashTable *ours, GPtrArray *out,
               GError **error)
{
  g_autoptr(GPtrArray) old = g_ptr_array_new_with_free_func(entry_free);
  gboolean exists;
  if (!read_manifest(file, a, old, &exists, error))
    return FALSE;
  for (guint i = 0; i < old->len; i++) {
    Entry *e = g_ptr_array_index(old, i);
    if (g_hash_table_contains(ours, e->path))
      continue;
    g_ptr_array_add(out, g_ptr_array_steal_index_fast(old, i));
    i--;
  }
  return TRUE;
}

static char *
bag_info(const char *root, GPtrArray *payload, const SrFixityOptions *o, GError **error)
{
  guint64 octets = 0;
  for (guint i = 0; i < payload->len; i++) {
    const Entry *e = g_ptr_array_index(payload, i);
    g_autofree char *full = g_build_filename(root, e->path, NULL);
    GStatBuf st;
    if (g_stat(full, &st) != 0) {
      int err = errno;
      g_set_error(error, SR_FIXITY_ERROR, SR_FIXITY_ERROR_MISMATCH, _("%s: %s"), full,
                  g_strerror(err));
      return NULL;
    }
    octets += (guint64)st.st_size;
  }
  char date[32];
  sr_time_now_iso(date);
  date[10] = '\0'; /* YYYY-MM-DD */
  GString *s = g_string_new(NULL);
  /* Tag values are one line each (RFC 8493, 2.2.2). */
  const char *const keys[] = {"Source-Organization", "External-Description"};
  const char *const values[] = {o->organisation, o->description};
  for (guint i = 0; i < G_N_ELEMENTS(keys); i++)
    if (values[i] && *values[i]) {
      g_autofree char *v = g_strdup(values[i]);
      g_strdelimit(v, "\r\n", ' ');
      g_string_append_printf(s, "%s: %s\n", keys[i], v);
    }
  g_string_append_printf(s, "Bagging-Date: %s\n", date);
  g_string_append_printf(s, "Bag-Software-Agent: Spatial Recovery %s\n", SR_VERSION);
  g_string_append_printf(s, "Payload-Oxum: %" G_GUINT64_FORMAT ".%u\n", octets, payload->len);
  return g_string_free(s, FALSE);
}

/* bagit.txt, bag-info.txt and the tag manifests over them and the payload
 * manifests. */
static gboolean
write_bag_tags(const char *root, const SrFixityOptions *o, GPtrArray *payload, GError **error)
{
  g_autofree char *bagit = g_build_filename(root, "bagit.txt", NULL);
  g_autofree char *info_path = g_build_filename(root, "bag-info.txt", NULL);
  g_autofree char *info = bag_info(root, payload, o, error);
  if (!info ||
      !write_atomic(bagit, "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n", error) ||
      !write_atomic(info_path, info, error))
    return FALSE;
  for (guint k = 0; k < G_N_ELEMENTS(algorithms); k++) {
    const Algorithm *a = &algorithms[k];
    if (!(o->algorithms & a->alg))
      continue;
    g_autoptr(GPtrArray) tags = g_ptr_array_new_with_free_func(entry_free);
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(names, g_strdup("bagit.txt"));
    g_ptr_array_add(names, g_strdup("bag-info.txt"));
    for (guint j = 0; j < G_N_ELEMENTS(algorithms); j++)
      if (o->algorithms & algorithms[j].alg)
        g_ptr_array_add(names, g_strdup_printf("manifest-%s.txt", algorithms[j].name));
    gboolean ok = TRUE;
    for (guint i = 0; ok && i < names->len; i++) {
      g_autofree char *full = g_build_filename(root, g_ptr_array_index(names, i), NULL);
      char hex[SR_SHA256_HEX_SIZE];
      ok = sr_fixity_digest_file(full, a->alg == SR_FIXITY_SHA256 ? hex : NULL,
                                 a->alg == SR_FIXITY_MD5 ? hex : NULL, error);
      Entry *e = g_new0(Entry, 1);
      e->path = g_strdup(g_ptr_array_index(names, i));
      e->hex = g_strdup(hex);
      g_ptr_array_add(tags, e);
    }
    g_ptr_array_unref(names);
    g_autofree char *name = g_strdup_printf("tagmanifest-%s.txt", a->name);
    g_autofree char *file = g_build_filename(root, name, NULL);
    if (!ok || !write_manifest(file, a, tags, error))
      return FALSE;
  }
  return TRUE;
}

gboolean
sr_fixity_write(const char *root, const char *const *files, const SrFixityOptions *o,
                GError **error)
{
  guint algs = o->algorithms ? o->algorithms : SR_FIXITY_SHA256;
  g_autoptr(GHashTable) ours = g_hash_table_new(g_str_hash, g_str_equal);
  guint n = files ? g_strv_length((char **)files) : 0;
  typedef char Sha[SR_SHA256_HEX_SIZE];
  typedef char Md5[SR_MD5_HEX_SIZE];
  g_autofree Sha *sha = g_malloc_n(n + 1, sizeof(Sha));
  g_autofree Md5 *md5 = g_malloc_n(n + 1, sizeof(Md5));
  for (guint i = 0; i < n; i++) {
    if (!path_ok(files[i])) {
      g_set_error(error, SR_FIXITY_ERROR, SR_FIXITY_ERROR_FORMAT,
                  _("%s cannot be listed in a manifest: it lies outside %s or its name holds a "
                    "line break or backslash"),
                  files[i], root);
      return FALSE;
    }
    g_hash_table_add(ours, (gpointer)files[i]);
    /* The bytes on disk, read back after they were written. */
    g_autofree char *full = g_build_filename(root, files[i], NULL);
    if (!sr_fixity_digest_file(full, sha[i], (algs & SR_FIXITY_MD5) ? md5[i] : NULL, error))
      return FALSE;
  }
  g_autoptr(GPtrArray) payload = NULL;
  for (guint k = 0; k < G_N_ELEMENTS(algorithms); k++) {
    const Algorithm *a = &algorithms[k];
    if (!(algs & a->alg))
      continue;
    g_autofree char *name = g_strdup_printf("manifest-%s.txt", a->name);
    g_autofree char *file = g_build_filename(root, name, NULL);
    GPtrArray *entries = g_ptr_array_new_with_free_func(entry_free);
    if (!merged_entries(file, a, ours, entries, error)) {
      g_ptr_array_unref(entries);
      return FALSE;
    }
    for (guint i = 0; i < n; i++) {
      Entry *e = g_new0(Entry, 1);
      e->path = g_strdup(files[i]);
      e->hex = g_strdup(a->alg == SR_FIXITY_SHA256 ? sha[i] : md5[i]);
      g_ptr_array_add(entries, e);
    }
    if (!write_manifest(file, a, entries, error)) {
      g_ptr_array_unref(entries);
      return FALSE;
    }
    if (!payload)
      payload = entries;
    else
      g_ptr_array_unref(entries);
  }
  SrFixityOptions with = *o;
  with.algorithms = algs;
  return !o->bagit || write_bag_tags(root, &with, payload, error);
}

/* ---- verify ------------------------------------------------------------------------- */

/* Files under dir (relative to root), for the BagIt rule that every payload
 * file is listed. */
static void
list_files(const char *root, const char *rel, GPtrArray *out)
{
  g_autofree char *dir = g_build_filename(root, rel, NULL);
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d))) {
    g_autofree char *r = g_strconcat(rel, "/", name, NULL);
    g_autofree char *full = g_build_filename(root, r, NULL);
    if (g_file_test(full, G_FILE_TEST_IS_DIR) && !g_file_test(full, G_FILE_TEST_IS_SYMLINK))
      list_files(root, r, out);
    else
      g_ptr_array_add(out, g_steal_pointer(&r));
  }
}

static gboolean
verify_manifest(const char *root, const Algorithm *a, const char *name, GPtrArray *problems,
                int *n_checked, gboolean *found, GHashTable *listed, GError **error)
{
  g_autofree char *file = g_build_filename(root, name, NULL);
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func(entry_free);
  gboolean exists;
  if (!read_manifest(file, a, entries, &exists, error))
    return FALSE;
  *found |= exists;
  for (guint i = 0; i < entries->len; i++) {
    const Entry *e = g_ptr_array_index(entries, i);
    if (listed)
      g_hash_table_add(listed, g_strdup(e->path));
    g_autofree char *full = g_build_filename(root, e->path, NULL);
    char hex[SR_SHA256_HEX_SIZE];
    g_autoptr(GError) err = NULL;
    (*n_checked)++;
    if (!g_file_test(full, G_FILE_TEST_EXISTS))
      g_ptr_array_add(problems, g_strdup_printf(_("%s: missing (listed in %s)"), e->path, name));
    else if (!sr_fixity_digest_file(full, a->alg == SR_FIXITY_SHA256 ? hex : NULL,
                                    a->alg == SR_FIXITY_MD5 ? hex : NULL, &err))
      g_ptr_array_add(problems, g_strdup_printf("%s: %s", e->path, err->message));
    else if (strcmp(hex, e->hex) != 0)
      g_ptr_array_add(problems, g_strdup_printf(_("%s: %s checksum mismatch (%s says %s, the file "
                                                  "has %s)"),
                                                e->path, a->label, name, e->hex, hex));
  }
  return TRUE;
}

gboolean
sr_fixity_verify(const char *root, GPtrArray *problems, int *n_checked, GError **error)
{
  *n_checked = 0;
  g_autofree char *bagit = g_build_filename(root, "bagit.txt", NULL);
  gboolean is_bag = g_file_test(bagit, G_FILE_TEST_IS_REGULAR);
  g_autoptr(GHashTable) listed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  gboolean found = FALSE, found_tags = FALSE;
  for (guint k = 0; k < G_N_ELEMENTS(algorithms); k++) {
    const Algorithm *a = &algorithms[k];
    g_autofree char *m = g_strdup_printf("manifest-%s.txt", a->name);
    g_autofree char *t = g_strdup_printf("tagmanifest-%s.txt", a->name);
    if (!verify_manifest(root, a, m, problems, n_checked, &found, listed, error) ||
        !verify_manifest(root, a, t, problems, n_checked, &found_tags, NULL, error))
      return FALSE;
  }
  if (!found) {
    g_set_error(error, SR_FIXITY_ERROR, SR_FIXITY_ERROR_IO,
                _("%s holds no manifest-sha256.txt or manifest-md5.txt: nothing to verify"), root);
    return FALSE;
  }
  if (is_bag) {
    g_autoptr(GPtrArray) payload = g_ptr_array_new_with_free_func(g_free);
    list_files(root, "data", payload);
    for (guint i = 0; i < payload->len; i++)
      if (!g_hash_table_contains(listed, g_ptr_array_index(payload, i)))
        g_ptr_array_add(problems, g_strdup_printf(_("%s: in the bag's data/ but in no manifest"),
                                                  (char *)g_ptr_array_index(payload, i)));
  }
  return TRUE;
}
