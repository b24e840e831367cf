/* The Train page under Xvfb (demo project). */
#include "sr-config.h"

#include "sr-ui-test.h"

static void
test_page(void)
{
  g_autoptr(SrApplication) app = NULL;

  if (!sr_ui_test_require_display())
    return;
  SrWindow *window = sr_ui_test_open_demo(&app);
  sr_window_set_stage(window, "train");
  g_assert_nonnull(sr_window_get_page(window, "train"));
  sr_ui_test_close(window);
}

int
main(int argc, char **argv)
{
  sr_ui_test_init(&argc, &argv, "page-train");
  g_test_add_func("/ui/page-train", test_page);
  return sr_ui_test_finish(g_test_run());
}
