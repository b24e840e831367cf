/* sr-page-train.h — the Train stage. Property "project".
 *
 * The settings are edited in place (presets or field by field, validated
 * and undoable through the project) and an estimate of the run's length is
 * measured in the background by timing a few real training steps of the
 * chosen model, patch and batch on the chosen backend. Start runs
 * sr_train_run in an SrJob on the project's pairs; the worker hands progress,
 * contact sheets and checkpoints to the page through a locked log that the
 * main loop drains on a timer, so the window never waits on training. The
 * checkpoint list also shows the checkpoints already in the training folder,
 * each of which a run can resume from. */
#pragma once

#include "sr-stage-page.h"

G_BEGIN_DECLS

#define SR_TYPE_PAGE_TRAIN (sr_page_train_get_type())
G_DECLARE_FINAL_TYPE(SrPageTrain, sr_page_train, SR, PAGE_TRAIN, SrStagePage)

G_END_DECLS
