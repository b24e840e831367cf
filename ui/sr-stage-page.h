/* sr-stage-page.h — SrStagePage, the base of the seven stage pages.
 *
 * It owns the "project" property and the page's hold on the project's
 * "changed" signal (a GSignalGroup, so a replaced or closed project is let
 * go in one place), and a notifying "busy" property the window follows to
 * keep the stage list current. A subclass overrides project_set (the
 * project was replaced; NULL when closed) and project_changed (an edit),
 * and reports its work with sr_stage_page_set_busy. Pages are GtkBox
 * subclasses, so their templates keep their box layout. */
#pragma once

#include <gtk/gtk.h>

#include "sr-project.h"

G_BEGIN_DECLS

#define SR_TYPE_STAGE_PAGE (sr_stage_page_get_type())
G_DECLARE_DERIVABLE_TYPE(SrStagePage, sr_stage_page, SR, STAGE_PAGE, GtkBox)

struct _SrStagePageClass {
  GtkBoxClass parent_class;

  /* After the project was replaced; project may be NULL. Runs before the
   * "project" notification, so bindings see a page already refreshed. */
  void (*project_set)(SrStagePage *self, SrProject *project);
  /* After each edit of the project (its "changed" signal). */
  void (*project_changed)(SrStagePage *self, const char *description);
};

SrProject *sr_stage_page_get_project(SrStagePage *self);
void sr_stage_page_set_project(SrStagePage *self, SrProject *project);
/* The group holding the project's signals; subclasses may connect more. */
GSignalGroup *sr_stage_page_get_project_signals(SrStagePage *self);

/* TRUE while the page has work in flight (scans, checks, a run). */
gboolean sr_stage_page_get_busy(SrStagePage *self);
/* For subclasses: notifies "busy" when the value changes. */
void sr_stage_page_set_busy(SrStagePage *self, gboolean busy);

G_END_DECLS
