/* sr-signoff.h — the review sign-off that stands between a render and its
 * delivery: the acceptance checklist, the flags (the archivist's and QA's),
 * the gate that lists what is unreviewed, unaccepted or flagged, and the
 * recorded overrides (who, when, why) that let a delivery go ahead anyway.
 *
 * The gate is one rule for the CLI and the GUI: sr_delivery_run() refuses
 * while sr_delivery_gate_blockers() lists anything and no override is
 * given. An override is recorded in the project first
 * (sr_project_add_override) and then named in the delivery's options, so
 * the project, the validation note and the sidecars all carry it. */
#pragma once

#include <json-glib/json-glib.h>

#include "sr-project.h"

G_BEGIN_DECLS

#define SR_OVERRIDE_MAX_TEXT 2000

typedef struct {
  char *who;
  char *when; /* ISO 8601 UTC */
  char *reason;
  char **blockers; /* what was overridden, as the gate worded it (NULL-terminated) */
} SrOverride;

/* Whether a who/when/reason text is acceptable: not blank, at most
 * SR_OVERRIDE_MAX_TEXT characters. */
gboolean sr_override_text_ok(const char *text);

/* The overrides recorded in the project, oldest first (of SrOverride*). */
const GPtrArray *sr_project_get_overrides(SrProject *self);
/* Records an override now: who and reason are required (not blank);
 * blockers is what it overrides (may be NULL). One edit (undo step).
 * Returns the record, owned by the project. */
const SrOverride *sr_project_add_override(SrProject *self, const char *who, const char *reason,
                                          const char *const *blockers, GError **error);

/* The latest override when it has this who and reason (compared without
 * surrounding blanks), else NULL: running the same delivery again (after a
 * crash, or on several nodes) restates that decision rather than making a
 * new one. */
const SrOverride *sr_project_find_last_override(SrProject *self, const char *who,
                                                const char *reason);

/* The acceptance checklist the Review page shows, in order: what to tick,
 * how to judge it there, and the title of the metric plot that backs it. */
typedef struct {
  const char *id;
  const char *label; /* N_() */
  const char *hint;  /* N_(): how to check it on the Review page */
  const char *plot;  /* N_(): the title of its metric plot */
} SrAcceptanceItem;
#define SR_ACCEPTANCE_N_ITEMS 5
extern const SrAcceptanceItem sr_acceptance_items[SR_ACCEPTANCE_N_ITEMS];
/* How many of the items the project has ticked. */
int sr_project_count_accepted(SrProject *self);

/* What the gate knows beyond the project. */
typedef struct {
  gboolean qa_run;          /* QA measured the delivered range */
  const GArray *qa_flagged; /* of int: frames QA flagged (NULL: none) */
  gboolean render_running;  /* a render is still writing frames */
} SrGateInput;

/* One translated sentence per blocker, in a stable order: a running
 * render, QA not run, each unticked acceptance item, the archivist's flags,
 * QA's flags. Empty when nothing blocks. Caller frees (g_ptr_array_unref). */
GPtrArray *sr_delivery_gate_blockers(SrProject *project, const SrGateInput *in);

/* The sign-off as the sidecars and the note carry it: checklist, flags,
 * the blockers of this delivery and every recorded override. */
void sr_signoff_json(JsonBuilder *b, SrProject *project, const SrGateInput *in);
/* Alternating keys and values for the text sidecar (g_strfreev). */
char **sr_signoff_text_lines(SrProject *project, const SrGateInput *in);
void sr_signoff_note_html(GString *s, SrProject *project, const SrGateInput *in);

G_END_DECLS
