/* spatial-recovery-cli devices — the compute backends and what they run on. */
#include "sr-cli.h"

#include <stdio.h>
#include <string.h>

#include <json-glib/json-glib.h>
#include <glib/gi18n.h>

#include "sr-backend.h"
#include "sr-json-builder.h"

#define MAX_DEVICES 32

static void
print_json(const sr_device_info *dev, size_t n, const char *cuda_reason)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "devices");
  json_builder_begin_array(b);
  for (size_t i = 0; i < n; i++) {
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "backend");
    json_builder_add_string_value(b, dev[i].backend);
    json_builder_set_member_name(b, "index");
    json_builder_add_int_value(b, dev[i].index);
    json_builder_set_member_name(b, "name");
    json_builder_add_string_value(b, dev[i].name);
    json_builder_set_member_name(b, "threads");
    json_builder_add_int_value(b, dev[i].threads);
    json_builder_set_member_name(b, "memory");
    json_builder_add_int_value(b, (gint64)dev[i].memory);
    json_builder_set_member_name(b, "detail");
    json_builder_add_string_value(b, dev[i].detail);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_set_member_name(b, "cuda_available");
  gboolean cuda = FALSE;
  for (size_t i = 0; i < n; i++)
    cuda |= strcmp(dev[i].backend, "cuda") == 0;
  json_builder_add_boolean_value(b, cuda);
  json_builder_set_member_name(b, "cuda_reason");
  json_builder_add_string_value(b, cuda_reason);
  json_builder_end_object(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  g_autofree char *text = sr_json_text(root, FALSE, NULL);
  printf("%s\n", text);
}

int
sr_cmd_devices(int argc, char **argv)
{
  gboolean as_json = FALSE;
  GOptionEntry entries[] = {
      {"json", 0, 0, G_OPTION_ARG_NONE, &as_json, _("Print one JSON object"), NULL},
      {NULL},
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("— list compute backends and devices");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    fprintf(stderr, "spatial-recovery-cli devices: %s\n", error->message);
    return 2;
  }
  if (argc > 1) {
    fprintf(stderr, _("spatial-recovery-cli devices: unexpected argument '%s'\n"), argv[1]);
    return 2;
  }
  sr_device_info dev[MAX_DEVICES];
  size_t n = 0;
  char reason[512] = "";
  sr_error err = {0};
  if (!sr_backend_list_devices(dev, MAX_DEVICES, &n, reason, sizeof reason, &err)) {
    fprintf(stderr, "spatial-recovery-cli devices: %s\n", err.message);
    return 1;
  }
  if (as_json) {
    print_json(dev, n, reason);
    return 0;
  }
  gboolean cuda = FALSE;
  for (size_t i = 0; i < n; i++) {
    const sr_device_info *d = &dev[i];
    cuda |= strcmp(d->backend, "cuda") == 0;
    printf("%-5s %d  %s\n", d->backend, d->index, d->name);
    if (d->threads > 0)
      /* TRANSLATORS: details of the device above, indented under its name. */
      printf(_("         threads: %d\n"), d->threads);
    if (d->memory > 0)
      printf(_("         memory:  %.1f GiB\n"), (double)d->memory / (1024.0 * 1024.0 * 1024.0));
    if (d->detail[0])
      printf("         %s\n", d->detail);
  }
  if (!cuda)
    printf(_("cuda  unavailable: %s\n"), reason[0] ? reason : _("no CUDA device reported"));
  return 0;
}
