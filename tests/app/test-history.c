/* Tests for SrHistory: undo/redo of project edits through JSON snapshots,
 * merging of quick edits, the modified flag, and the depth limit. */
#include <gio/gio.h>

#include "sr-history.h"

static void
test_undo_redo_name(void)
{
  g_autoptr(SrProject) project = sr_project_new();
  g_autoptr(SrHistory) history = sr_history_new(project);

  g_assert_false(sr_history_get_can_undo(history));
  g_assert_false(sr_history_get_can_redo(history));
  g_assert_null(sr_history_get_undo_label(history));

  sr_project_set_name(project, "Reel 3");
  g_assert_true(sr_history_get_can_undo(history));
  g_assert_nonnull(sr_history_get_undo_label(history));

  g_assert_true(sr_history_undo(history, NULL));
  g_assert_cmpstr(sr_project_get_name(project) ? sr_project_get_name(project) : "", ==, "");
  g_assert_false(sr_history_get_can_undo(history));
  g_assert_true(sr_history_get_can_redo(history));

  g_assert_true(sr_history_redo(history, NULL));
  g_assert_cmpstr(sr_project_get_name(project), ==, "Reel 3");
  g_assert_true(sr_history_get_can_undo(history));
  g_assert_false(sr_history_get_can_redo(history));

  /* Nothing to redo: a no-op that succeeds. */
  g_assert_true(sr_history_redo(history, NULL));
  g_assert_cmpstr(sr_project_get_name(project), ==, "Reel 3");
}

static void
test_pairs_and_crop(void)
{
  g_autoptr(SrProject) project = sr_project_new();
  g_autoptr(SrHistory) history = sr_history_new(project);
  sr_rect crop = {16, 8, 320, 240};

  g_assert_true(sr_project_add_pair(project, 1001, NULL));
  sr_history_break_merge(history);
  g_assert_true(sr_project_add_pair(project, 1010, NULL));
  sr_history_break_merge(history);
  sr_project_set_crop(project, crop);
  g_assert_cmpuint(sr_project_get_pairs(project)->len, ==, 2);

  g_assert_true(sr_history_undo(history, NULL));
  g_assert_cmpint(sr_project_get_crop(project).w, ==, 0);
  g_assert_cmpuint(sr_project_get_pairs(project)->len, ==, 2);
  g_assert_true(sr_history_undo(history, NULL));
  g_assert_cmpuint(sr_project_get_pairs(project)->len, ==, 1);
  g_assert_true(sr_project_has_pair(project, 1001));
  g_assert_false(sr_project_has_pair(project, 1010));

  g_assert_true(sr_history_redo(history, NULL));
  g_assert_true(sr_project_has_pair(project, 1010));
  g_assert_true(sr_history_redo(history, NULL));
  g_assert_true(sr_rect_equal(sr_project_get_crop(project), crop));

  /* A new edit after undo drops the redo branch. */
  g_assert_true(sr_history_undo(history, NULL));
  g_assert_true(sr_project_remove_pair(project, 1001));
  g_assert_false(sr_history_get_can_redo(history));
  g_assert_false(sr_project_has_pair(project, 1001));
  g_assert_true(sr_history_undo(history, NULL));
  g_assert_true(sr_project_has_pair(project, 1001));
}

static void
test_merge_quick_edits(void)
{
  g_autoptr(SrProject) project = sr_project_new();
  g_autoptr(SrHistory) history = sr_history_new(project);

  /* Typing a name letter by letter is one step. */
  sr_project_set_name(project, "R");
  sr_project_set_name(project, "Re");
  sr_project_set_name(project, "Reel");
  g_assert_true(sr_history_undo(history, NULL));
  g_assert_cmpstr(sr_project_get_name(project) ? sr_project_get_name(project) : "", ==, "");
  g_assert_false(sr_history_get_can_undo(history));

  /* ... unless the merge window is closed in between. */
  g_assert_true(sr_history_redo(history, NULL));
  sr_history_break_merge(history);
  sr_project_set_name(project, "Reel 4");
  g_assert_true(sr_history_undo(history, NULL));
  g_assert_cmpstr(sr_project_get_name(project), ==, "Reel");

  /* Different edits never merge. */
  sr_project_set_name(project, "Reel 5");
  g_assert_true(sr_project_add_pair(project, 7, NULL));
  g_assert_true(sr_history_undo(history, NULL));
  g_assert_cmpstr(sr_project_get_name(project), ==, "Reel 5");
  g_assert_false(sr_project_has_pair(project, 7));
}

static void
test_modified_follows_saved_state(void)
{
  g_autoptr(SrProject) project = sr_project_new();
  sr_project_set_modified(project, FALSE);
  g_autoptr(SrHistory) history = sr_history_new(project);

  g_assert_false(sr_project_get_modified(project));
  sr_project_set_name(project, "Shot 12");
  g_assert_true(sr_project_get_modified(project));
  g_assert_true(sr_history_undo(history, NULL));
  g_assert_false(sr_project_get_modified(project)); /* back at the saved state */
  g_assert_true(sr_history_redo(history, NULL));
  g_assert_true(sr_project_get_modified(project));

  sr_history_mark_saved(history);
  g_assert_false(sr_project_get_modified(project));
  g_assert_true(sr_history_undo(history, NULL));
  g_assert_true(sr_project_get_modified(project)); /* now differs from what is saved */
}

static void
test_preview_refusal_is_not_an_edit(void)
{
  g_autoptr(SrProject) project = sr_project_new();
  g_autoptr(SrHistory) history = sr_history_new(project);
  GError *error = NULL;

  g_assert_true(sr_project_add_pair(project, 20, NULL));
  sr_history_break_merge(history);
  g_assert_false(sr_project_set_preview_frame(project, 20, &error));
  g_assert_nonnull(error);
  g_clear_error(&error);
  /* Only the pair is on the stack. */
  g_assert_true(sr_history_undo(history, NULL));
  g_assert_false(sr_history_get_can_undo(history));
}

static void
test_depth_limit(void)
{
  g_autoptr(SrProject) project = sr_project_new();
  g_autoptr(SrHistory) history = sr_history_new(project);
  int undone = 0;

  for (int i = 0; i < SR_HISTORY_DEPTH + 30; i++) {
    g_assert_true(sr_project_add_pair(project, i, NULL));
    sr_history_break_merge(history);
  }
  while (sr_history_get_can_undo(history)) {
    g_assert_true(sr_history_undo(history, NULL));
    undone++;
  }
  g_assert_cmpint(undone, ==, SR_HISTORY_DEPTH);
  /* The oldest steps were dropped: the first 30 pairs stay. */
  g_assert_cmpuint(sr_project_get_pairs(project)->len, ==, 30);
}

static void
on_notify(GObject *object, GParamSpec *pspec, gpointer user_data)
{
  (*(int *)user_data)++;
}

static void
test_notifications_and_clear(void)
{
  g_autoptr(SrProject) project = sr_project_new();
  g_autoptr(SrHistory) history = sr_history_new(project);
  int notified = 0;

  g_signal_connect(history, "notify::can-undo", G_CALLBACK(on_notify), &notified);
  sr_project_set_name(project, "A");
  g_assert_cmpint(notified, >, 0);
  sr_history_clear(history);
  g_assert_false(sr_history_get_can_undo(history));
  g_assert_false(sr_history_get_can_redo(history));
  g_assert_true(sr_history_get_project(history) == project);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/history/undo-redo-name", test_undo_redo_name);
  g_test_add_func("/history/pairs-and-crop", test_pairs_and_crop);
  g_test_add_func("/history/merge-quick-edits", test_merge_quick_edits);
  g_test_add_func("/history/modified", test_modified_follows_saved_state);
  g_test_add_func("/history/refused-edit", test_preview_refusal_is_not_an_edit);
  g_test_add_func("/history/depth-limit", test_depth_limit);
  g_test_add_func("/history/notifications-and-clear", test_notifications_and_clear);
  return g_test_run();
}
