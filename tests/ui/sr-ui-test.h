/* sr-ui-test.h — what the UI tests share: a strict log writer (any warning
 * fails the test), waiting on the main loop, screenshots, the demo project
 * in a window, and a tiny trained model with a few rendered frames for the
 * later stages. */
#pragma once

#include <gtk/gtk.h>

#include "sr-application.h"
#include "sr-window.h"

G_BEGIN_DECLS

/* Iterates the main loop until expr holds; fails the test after `seconds`. */
#define SR_UI_WAIT_FOR(expr, seconds)                                               \
  do {                                                                              \
    gint64 wait_end_ = g_get_monotonic_time() + (gint64)((seconds)*G_USEC_PER_SEC); \
    while (!(expr) && g_get_monotonic_time() < wait_end_) {                         \
      if (!g_main_context_iteration(NULL, FALSE))                                   \
        g_usleep(2000);                                                             \
    }                                                                               \
    if (!(expr))                                                                    \
      g_error("timed out after %g s waiting for: %s", (double)(seconds), #expr);    \
  } while (0)

/* g_test_init plus the strict writer, a temporary folder and the screenshot
 * folder ($SR_SCREENSHOT_DIR, else the temporary folder). */
void sr_ui_test_init(int *argc, char ***argv, const char *name);
/* Removes the temporary folder; returns rc. */
int sr_ui_test_finish(int rc);
const char *sr_ui_test_tmp_dir(void);
/* FALSE (and the test is skipped) without a display. */
gboolean sr_ui_test_require_display(void);

void sr_ui_test_pump(int ms);
/* Writes <screenshot dir>/<name>.png of the whole window. */
void sr_ui_test_screenshot(GtkWidget *window, const char *name);
/* Screenshots NAME-1280x720 and NAME-1920x1080 of the window resized to
 * each, then restores its size. */
void sr_ui_test_screenshot_sizes(GtkWidget *window, const char *name);
/* Presses an unmodified key through the page's keys (sr_ui_page_keys_new):
 * the capture-phase shortcut controller on `page` that answers it, run as
 * GTK runs it for a key event anywhere on the page, whatever has the focus.
 * Returns what the shortcut returned (FALSE: declined, e.g. while text is
 * typed); fails the test when the page has no such key or the controller
 * is not in the capture phase. */
gboolean sr_ui_test_press_page_key(GtkWidget *page, guint keyval);
/* Recursively removes path. */
void sr_ui_test_remove_tree(const char *path);
/* The first widget under root (root included), in tree order, that match
 * accepts; NULL where there is none. The finders below are its usual
 * questions: of a type, a button with a label (the tests run
 * untranslated), a widget with a name. */
typedef gboolean (*SrUiTestMatch)(GtkWidget *widget, gconstpointer data);
GtkWidget *sr_ui_test_find(GtkWidget *root, SrUiTestMatch match, gconstpointer data);
GtkWidget *sr_ui_test_find_type(GtkWidget *root, GType type);
GtkWidget *sr_ui_test_find_button(GtkWidget *root, const char *label);
GtkWidget *sr_ui_test_find_named(GtkWidget *root, const char *name);
/* The project's training settings into *t with the smallest network on
 * the CPU (S, 64-pixel patches, batch 1), for a test to adjust and set. */
void sr_ui_test_small_training(SrProject *project, SrTrainingSettings *t);
/* Saves the window's project as `name` in the temporary folder, its Source
 * and Reference named absolutely, so the shared demo project stays as it
 * was. Returns the saved file (caller unrefs). */
GFile *sr_ui_test_save_copy(SrWindow *window, const char *name);

/* A registered application with its window (1440×900) showing the demo
 * project, checks finished, output folder inside the temporary folder. */
SrWindow *sr_ui_test_open_demo(SrApplication **app);
/* Marks the project saved and destroys the window. */
void sr_ui_test_close(SrWindow *window);

/* Trains a tiny model (S, 64 px, batch 1, `steps` steps, a checkpoint every
 * steps/3) from the Train page; the project's checkpoint is set after. */
void sr_ui_test_train_tiny(SrWindow *window, int steps);
/* Renders the Source's first n frames from the Render page; returns the
 * first frame's number. */
int sr_ui_test_render_first(SrWindow *window, int n);

/* Longest gap between 10 ms ticks of the main loop while it runs. */
typedef struct {
  gint64 last, worst;
  guint source;
} SrUiStall;
void sr_ui_stall_start(SrUiStall *s);
/* Stops measuring and returns the worst stall in ms. */
double sr_ui_stall_stop(SrUiStall *s);
/* The bound a UI test puts on a main-loop stall: 250 ms on an idle machine,
 * proportionally more when other work loads every core. It catches work put
 * back on the main thread (seconds), not a few milliseconds of noise. */
double sr_ui_stall_limit_ms(void);

G_END_DECLS
