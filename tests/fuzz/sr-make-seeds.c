/* sr-make-seeds.c — writes the seed corpora of the fuzz targets with the
 * program's own writers: frames in every format and compression the
 * writers produce, a checkpoint of the small network, safetensors files,
 * projects and JSON documents. Usage: sr-make-seeds OUTDIR; one folder per
 * target is made under OUTDIR. Deterministic: the same files every run. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sr-backend.h"
#include "sr-checkpoint.h"
#include "sr-fs.h"
#include "sr-io.h"
#include "sr-fixity.h"
#include "sr-grain-plan.h"
#include "sr-json.h"
#include "sr-loss-log.h"
#include "sr-project.h"
#include "sr-signoff.h"
#include "sr-safetensors.h"
#include "sr-simulator.h"

static const char *out_dir;
static int failures;

static char *
seed_path(const char *target, const char *name)
{
  char *dir = sr_path_join(out_dir, target);
  sr_error err = {0};
  if (!sr_mkdir_p(dir, &err)) {
    fprintf(stderr, "%s\n", err.message);
    exit(1);
  }
  char *p = sr_path_join(dir, name);
  free(dir);
  return p;
}

static void
check(bool ok, const char *what, const sr_error *err)
{
  if (!ok) {
    fprintf(stderr, "sr-make-seeds: %s: %s\n", what, err && err->message[0] ? err->message : "");
    failures++;
  }
}

static void
write_text(const char *target, const char *name, const char *text)
{
  char *p = seed_path(target, name);
  sr_error err = {0};
  check(sr_write_file_atomic(p, text, strlen(text), &err), p, &err);
  free(p);
}

/* Frames: small (the fuzzer's time goes into headers and codecs, not into
 * pixel loops), with and without alpha, gray, windows and attributes. */
static void
make_frames(void)
{
  sr_simulator_options so;
  sr_simulator_options_init(&so);
  so.width = 24;
  so.height = 16;
  sr_image *src = NULL, *ref = NULL;
  sr_error err = {0};
  if (!sr_simulator_render_frame(&so, 3, &src, &ref, &err)) {
    check(false, "simulator", &err);
    return;
  }
  sr_image *gray = sr_image_convert_channels(src, 1, &err);
  sr_image *rgba = sr_image_convert_channels(src, 4, &err);
  check(gray && rgba, "channels", &err);
  sr_image_set_attribute(src, "shot", "A001 \"q\" é", &err);
  sr_image_set_attribute(src, "notes", "line one\nline two", &err);
  src->data_window = (sr_rect){5, -3, src->width, src->height};
  src->display_window = (sr_rect){0, 0, 32, 20};

  static const struct {
    const char *target, *name;
    sr_exr_compression comp;
    int bits;
    int channels;
  } specs[] = {
      {"exr", "zip.exr", SR_EXR_ZIP, 16, 3},     {"exr", "piz.exr", SR_EXR_PIZ, 16, 3},
      {"exr", "none.exr", SR_EXR_NONE, 16, 3},   {"exr", "dwaa.exr", SR_EXR_DWAA, 16, 3},
      {"exr", "gray.exr", SR_EXR_ZIP, 16, 1},    {"exr", "rgba.exr", SR_EXR_NONE, 16, 4},
      {"png", "rgb16.png", SR_EXR_ZIP, 16, 3},   {"png", "rgb8.png", SR_EXR_ZIP, 8, 3},
      {"png", "gray8.png", SR_EXR_ZIP, 8, 1},    {"png", "rgba16.png", SR_EXR_ZIP, 16, 4},
      {"tiff", "rgb16.tif", SR_EXR_ZIP, 16, 3},  {"tiff", "rgb8.tif", SR_EXR_ZIP, 8, 3},
      {"tiff", "gray16.tif", SR_EXR_ZIP, 16, 1}, {"tiff", "rgba8.tif", SR_EXR_ZIP, 8, 4},
      {"dpx", "rgb10.dpx", SR_EXR_ZIP, 10, 3},
  };
  for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
    if (!sr_exr_compression_available(specs[i].comp))
      continue;
    sr_write_options o;
    sr_write_options_init(&o);
    o.compression = specs[i].comp;
    o.bit_depth = specs[i].bits == 10 ? 16 : specs[i].bits;
    o.write_alpha = specs[i].channels == 4;
    const sr_image *img = specs[i].channels == 1 ? gray : specs[i].channels == 4 ? rgba : src;
    char *p = seed_path(specs[i].target, specs[i].name);
    check(sr_image_write(p, img, &o, &err), p, &err);
    free(p);
  }
  sr_image_free(gray);
  sr_image_free(rgba);
  sr_image_free(src);
  sr_image_free(ref);
}

static void
make_sequences(void)
{
  write_text("sequence", "printf",
             "shot.%04d.exr\nshot.0007.exr\nshot.0001.exr\nshot.0002.exr\n"
             "shot.0004.exr\nshot.12345.exr\nshot.007.exr\n");
  write_text("sequence", "hashes", "scan_####.dpx\nscan_0100.dpx\nscan_0100.dpx\nscan_0103.dpx\n");
  write_text("sequence", "narrow", "s_%d.tif\ns_1000.tif\ns_998.tif\ns_999.tif\ns_1000.tif\n");
  write_text("sequence", "single", "plate.exr\nplate.exr\nplate.exr\n");
  write_text("sequence", "percent", "50%%_%03d.png\n50%_001.png\n50%_001.png\n50%_002.png\n");
}

static void
make_safetensors(void)
{
  float a[6] = {1, 2, 3, 4, 5, 6}, b[1] = {-0.5f};
  sr_st_tensor t[2] = {
      {.name = "conv.weight", .ndim = 2, .shape = {2, 3}, .count = 6, .data = a},
      {.name = "conv.bias", .ndim = 1, .shape = {1}, .count = 1, .data = b},
  };
  sr_st_meta meta[2] = {{"format", "spatial-recovery-checkpoint"}, {"notes", "\"q\"\n\xc3\xa9"}};
  sr_error err = {0};
  char *p = seed_path("safetensors", "two.safetensors");
  check(sr_safetensors_write(p, t, 2, meta, 2, &err), p, &err);
  free(p);
  p = seed_path("safetensors", "empty.safetensors");
  check(sr_safetensors_write(p, NULL, 0, NULL, 0, &err), p, &err);
  free(p);
}

/* A checkpoint's metadata and tensor names with one float per tensor: small
 * enough for fast runs, and every metadata field and tensor-set check is
 * reached (the full file is also a seed, for longer runs). */
static void
make_checkpoint_headers(void)
{
  sr_error err = {0};
  char *full = seed_path("checkpoint", "small.safetensors");
  sr_safetensors *st = sr_safetensors_read(full, &err);
  free(full);
  if (!st) {
    check(false, "checkpoint", &err);
    return;
  }
  sr_st_tensor *t = calloc((size_t)st->n_tensors, sizeof *t);
  float one = 0.25f;
  for (int i = 0; i < st->n_tensors; i++)
    t[i] = (sr_st_tensor){
        .name = st->tensors[i].name, .ndim = 1, .shape = {1}, .count = 1, .data = &one};
  char *p = seed_path("checkpoint", "header.safetensors");
  check(sr_safetensors_write(p, t, st->n_tensors, st->meta, st->n_meta, &err), p, &err);
  free(p);
  p = seed_path("checkpoint", "meta-only.safetensors");
  check(sr_safetensors_write(p, t, 1, st->meta, st->n_meta, &err), p, &err);
  free(p);
  free(t);
  sr_safetensors_free(st);
}

static void
make_checkpoints(void)
{
  sr_error err = {0};
  sr_backend *be = sr_backend_cpu_create(1, &err);
  sr_unet *net = be ? sr_unet_new(SR_UNET_S, be, &err) : NULL;
  if (!net || !sr_unet_init(net, 11, &err)) {
    check(false, "network", &err);
    goto out;
  }
  int pairs[3] = {1, 5, 9}, held[1] = {7};
  sr_checkpoint_meta meta;
  sr_checkpoint_meta_init(&meta);
  meta.size = SR_UNET_S;
  meta.step = 200;
  meta.config_json = "{\"steps\":200,\"patch\":64}";
  meta.pairs = pairs;
  meta.n_pairs = 3;
  meta.held_out = held;
  meta.n_held_out = 1;
  meta.preview_frame = 7;
  meta.prep.crop = (sr_rect){4, 2, 16, 12};
  char *p = seed_path("checkpoint", "small.safetensors");
  check(sr_checkpoint_save(p, net, &meta, false, NULL, &err), p, &err);
  free(p);
  p = seed_path("checkpoint", "small-adam.safetensors");
  check(sr_checkpoint_save(p, net, &meta, true, NULL, &err), p, &err);
  free(p);
  make_checkpoint_headers();
out:
  sr_unet_free(net);
  if (be)
    sr_backend_close(be);
}

static void
make_projects(void)
{
  g_autoptr(SrProject) plain = sr_project_new();
  g_autoptr(SrProject) full = sr_project_new();
  sr_project_set_name(full, "Reel 3 \"night\"");
  sr_project_set_source_pattern(full, "source/shot.%04d.exr");
  sr_project_set_reference_pattern(full, "reference/shot.####.exr");
  sr_project_set_reference_offset(full, -2);
  sr_project_set_crop(full, (sr_rect){8, 4, 320, 200});
  sr_project_set_output_folder(full, "out");
  sr_project_set_version(full, "v002");
  sr_project_set_checkpoint(full, "out/model.safetensors");
  int frames[4] = {1, 4, 9, 16};
  sr_project_add_pairs(full, frames, 4);
  sr_project_add_flag(full, 12, "halo on the window frame");
  SrProvenance prov = {.film_title = "Film", .shot_id = "A001", .notes = "two\nlines"};
  sr_project_set_provenance(full, &prov);
  sr_project_set_accepted(full, "grain", TRUE);
  const char *const open[] = {"Frame 12 flagged by the archivist", NULL};
  sr_project_add_override(full, "A. Archivist", "curator's call", open, NULL);
  SrProject *projects[2] = {plain, full};
  const char *names[2] = {"plain.srproj", "full.srproj"};
  for (int i = 0; i < 2; i++) {
    char *p = seed_path("project", names[i]);
    g_autoptr(GFile) f = g_file_new_for_path(p);
    g_autoptr(GError) error = NULL;
    if (!sr_project_save(projects[i], f, &error)) {
      fprintf(stderr, "sr-make-seeds: %s: %s\n", p, error->message);
      failures++;
    }
    free(p);
  }
}

/* A grain plan as a render keeps it, with values of a film's size, and the
 * same without the result's variance (null). */
static void
make_grain_plans(void)
{
  SrGrainPlan p = {
      .pairs = 8, .blocks = 280, .reference_variance = 0.0036, .result_variance = 0.0028};
  g_strlcpy(p.model_id, "5d41402abc4b2a76b9719d911017c592", sizeof p.model_id);
  p.plan.seed = 18446744073709551557ull;
  for (int b = 0; b < SR_GRAIN_BANDS; b++)
    p.reference_bands[b] = 1e-4 * (b + 1);
  for (int l = 0; l < SR_GRAIN_LEVELS; l++)
    p.plan.level_gain[l] = 0.25 * l;
  for (int i = 0; i < SR_GRAIN_BLOCK * SR_GRAIN_BLOCK; i++)
    p.plan.kernel[i] = (float)(0.01 * sin(0.37 * i) / (1 + i % 7));
  const char *names[2] = {"plan.grain.json", "no-result.grain.json"};
  for (int i = 0; i < 2; i++) {
    if (i == 1)
      p.result_variance = NAN;
    char *path = seed_path("grain-plan", names[i]);
    g_autoptr(GError) error = NULL;
    if (!sr_grain_plan_save(path, &p, &error)) {
      fprintf(stderr, "sr-make-seeds: %s: %s\n", path, error->message);
      failures++;
    }
    free(path);
  }
}

/* A loss log as training writes it, and one a crash tore and a resume from
 * an earlier checkpoint rewound (a step repeated, a last line unfinished). */
static void
make_loss_logs(void)
{
  char *dir = sr_path_join(out_dir, "loss-log");
  sr_error err = {0};
  sr_loss_log *log = sr_mkdir_p(dir, &err) ? sr_loss_log_open(dir, 0, &err) : NULL;
  for (int i = 1; log && i <= 30; i++) {
    sr_loss_entry e = {i, 0.05 / i, 0.06 / i, 2e-4 * (i < 10 ? i / 10.0 : 1.0)};
    if (!sr_loss_log_append(log, &e, i % 10 == 0, &err)) {
      sr_loss_log_close(log, NULL);
      log = NULL;
    }
  }
  if (!log || !sr_loss_log_close(log, &err)) {
    fprintf(stderr, "sr-make-seeds: loss log: %s\n", err.message);
    failures++;
  }
  free(dir);
  write_text("loss-log", "rewound.tsv",
             "step\tloss\tloss_avg\tlr\n1\t0.5\t0.5\t1e-05\n2\t0.25\t0.375\t2e-05\n"
             "3\t0.125\t0.29\t3e-05\n2\t0.3\t0.4\t2e-05\n3\t0.2");
}

static void
make_json(void)
{
  sr_json *o = sr_json_new_object();
  sr_json *a = sr_json_new_array();
  sr_json_append(a, sr_json_new_int(INT64_MIN));
  sr_json_append(a, sr_json_new_number(1.5e-300));
  sr_json_append(a, sr_json_new_bool(true));
  sr_json_append(a, sr_json_new_null());
  sr_json_append(a, sr_json_new_string("tab\t quote\" \xe2\x82\xac \xf0\x9f\x8e\x9e"));
  sr_json_set(o, "list", a);
  sr_json_set_string(o, "dtype", "F32");
  sr_json_set_int(o, "n", 9007199254740993LL);
  size_t len = 0;
  char *text = sr_json_write(o, &len);
  write_text("json", "written.json", text);
  free(text);
  sr_json_free(o);
  write_text("json", "escapes.json", "[\"\\u00e9\\ud83c\\udf9e\\n\\/\", -0.0, 1E+2, {}]");
}

/* Manifests as delivery writes them: a bag's payload manifest over the
 * file the fuzz target's folder holds (data/shot.0001.exr, "frame"), and
 * the same with a line for a missing file. */
static void
make_manifests(void)
{
  g_autofree char *root = g_dir_make_tmp("sr-seed-manifest-XXXXXX", NULL);
  g_autofree char *data_dir = g_build_filename(root, "data", NULL);
  g_autofree char *payload = g_build_filename(data_dir, "shot.0001.exr", NULL);
  g_autofree char *manifest = g_build_filename(root, "manifest-sha256.txt", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  const char *files[] = {"data/shot.0001.exr", NULL};
  SrFixityOptions o = {.algorithms = SR_FIXITY_SHA256};
  if (!root || g_mkdir(data_dir, 0700) != 0 || !g_file_set_contents(payload, "frame", -1, &error) ||
      !sr_fixity_write(root, files, &o, &error) ||
      !g_file_get_contents(manifest, &text, NULL, &error)) {
    fprintf(stderr, "sr-make-seeds: manifest: %s\n", error ? error->message : "no folder");
    failures++;
    return;
  }
  write_text("manifest", "written.txt", text);
  g_autofree char *zeros = g_strnfill(64, '0');
  g_autofree char *more = g_strconcat(text, zeros, "  data/missing.exr\n", NULL);
  write_text("manifest", "missing.txt", more);
  g_remove(manifest);
  g_remove(payload);
  g_rmdir(data_dir);
  g_rmdir(root);
}

int
main(int argc, char **argv)
{
  if (argc != 2) {
    fprintf(stderr, "usage: sr-make-seeds OUTDIR\n");
    return 2;
  }
  out_dir = argv[1];
  make_frames();
  make_sequences();
  make_safetensors();
  make_checkpoints();
  make_projects();
  make_grain_plans();
  make_loss_logs();
  make_json();
  make_manifests();
  return failures ? 1 : 0;
}
