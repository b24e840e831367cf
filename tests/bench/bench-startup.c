/* Startup to a usable window with the demo project.
 *
 *   GSETTINGS_SCHEMA_DIR=build/data xvfb-run -a build/tests/bench/bench-startup [runs]
 *
 * Each run starts the application in a fresh process (this program re-executes
 * itself with --child), so shared-library loading, GTK start-up, GResource
 * templates, CSS, the project load on a worker thread and the first drawn
 * frame of the workspace are all counted. The demo project is generated once
 * beforehand into a temporary cache folder; generation is timed separately.
 * Prints one line per run and the median. */
#include "sr-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>
#include <gtk/gtk.h>

#include "sr-application.h"
#include "sr-demo.h"
#include "sr-window.h"

static gint64 t_start;
static gint64 t_window;
static gint64 t_usable;
static gboolean project_loaded;

static void
on_after_paint(GdkFrameClock *clock, gpointer user_data)
{
  GtkWidget *win = user_data;
  gint64 now = g_get_monotonic_time();

  if (!t_window)
    t_window = now;
  if (project_loaded && !t_usable) {
    t_usable = now;
    g_signal_handlers_disconnect_by_func(clock, on_after_paint, win);
    gtk_window_destroy(GTK_WINDOW(win));
  }
}

static void
on_project_loaded(SrWindow *window, gpointer user_data)
{
  project_loaded = sr_window_get_project(window) != NULL;
  if (!project_loaded) {
    fprintf(stderr, "bench-startup: the demo project did not open: %s\n",
            sr_window_get_error(window) ? sr_window_get_error(window) : "unknown error");
    exit(1);
  }
  gtk_widget_queue_draw(GTK_WIDGET(window));
}

static void
on_map(GtkWidget *win, gpointer user_data)
{
  g_signal_connect(gtk_widget_get_frame_clock(win), "after-paint", G_CALLBACK(on_after_paint), win);
}

static void
on_window_added(GtkApplication *app, GtkWindow *window, gpointer user_data)
{
  const char *project = user_data;
  g_autoptr(GFile) file = g_file_new_for_path(project);

  if (!SR_IS_WINDOW(window))
    return;
  g_signal_connect(window, "map", G_CALLBACK(on_map), NULL);
  g_signal_connect(window, "project-loaded", G_CALLBACK(on_project_loaded), NULL);
  sr_window_open_file(SR_WINDOW(window), file);
}

static int
child(const char *project, gint64 exec_time)
{
  g_autoptr(SrApplication) app = sr_application_new(G_APPLICATION_NON_UNIQUE);

  t_start = exec_time;
  g_signal_connect(app, "window-added", G_CALLBACK(on_window_added), (gpointer)project);
  g_application_run(G_APPLICATION(app), 0, NULL);
  if (!t_usable)
    return 1;
  printf("%.1f %.1f\n", (t_window - t_start) / 1000.0, (t_usable - t_start) / 1000.0);
  return 0;
}

static void
remove_tree(const char *path)
{
  GDir *dir = g_dir_open(path, 0, NULL);
  const char *name;

  if (dir) {
    while ((name = g_dir_read_name(dir))) {
      g_autofree char *child = g_build_filename(path, name, NULL);
      if (g_file_test(child, G_FILE_TEST_IS_DIR) && !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
        remove_tree(child);
      else
        g_unlink(child);
    }
    g_dir_close(dir);
  }
  g_rmdir(path);
}

static int
compare(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
  if (argc == 4 && strcmp(argv[1], "--child") == 0)
    return child(argv[2], g_ascii_strtoll(argv[3], NULL, 10));

  int runs = argc > 1 ? atoi(argv[1]) : 5;
  g_autofree char *tmp = g_dir_make_tmp("sr-bench-XXXXXX", NULL);
  g_autofree char *demo_dir = g_build_filename(tmp, "demo", NULL);
  g_autoptr(GError) error = NULL;
  double usable[64];

  if (runs < 1 || runs > 64)
    runs = 5;
  g_setenv("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv("XDG_CACHE_HOME", tmp, TRUE);

  gint64 t0 = g_get_monotonic_time();
  g_autofree char *project = sr_demo_ensure(demo_dir, NULL, &error);
  if (!project) {
    fprintf(stderr, "bench-startup: %s\n", error->message);
    remove_tree(tmp);
    return 1;
  }
  printf("demo generation: %.0f ms (once, not part of start-up)\n",
         (g_get_monotonic_time() - t0) / 1000.0);
  printf("run  first-frame-ms  usable-with-demo-ms\n");

  for (int i = 0; i < runs; i++) {
    g_autofree char *stamp = g_strdup_printf("%" G_GINT64_FORMAT, g_get_monotonic_time());
    const char *child_argv[] = {argv[0], "--child", project, stamp, NULL};
    g_autofree char *out = NULL;
    int status = 0;
    double first = 0, ready = 0;

    if (!g_spawn_sync(NULL, (char **)child_argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL,
                      &status, &error) ||
        !g_spawn_check_wait_status(status, &error) || sscanf(out, "%lf %lf", &first, &ready) != 2) {
      fprintf(stderr, "bench-startup: run %d failed: %s\n", i + 1, error ? error->message : out);
      remove_tree(tmp);
      return 1;
    }
    printf("%3d  %14.1f  %19.1f\n", i + 1, first, ready);
    usable[i] = ready;
  }
  qsort(usable, runs, sizeof usable[0], compare);
  printf("median start-up to a usable window with the demo project: %.0f ms (goal < 1000 ms)\n",
         usable[runs / 2]);
  remove_tree(tmp);
  return 0;
}
