/* sr-delivery-record.h — what a delivery records beyond the masters'
 * pixels: the review gate it passed (or the override that let it through),
 * the training's held-out figures, the reel and timecode each master
 * carries, and the checksum manifest over every master and sidecar. Called
 * from sr_delivery_run() only. */
#pragma once

#include <json-glib/json-glib.h>

#include "sr-delivery.h"

G_BEGIN_DECLS

/* Refuses (SR_DELIVERY_ERROR_GATE, listing every blocker) while the gate
 * lists anything and opts->override is NULL; with an override, keeps the
 * blockers it let through in out->overridden. */
gboolean sr_delivery_check_gate(SrProject *project, const SrDeliveryOptions *opts,
                                SrDeliveryResult *out, GError **error);
/* The gate's refusal as one message (blockers one per line). */
char *sr_delivery_gate_message(GPtrArray *blockers);

/* timeCode, framesPerSecond and reelName for the master of frame f. */
gboolean sr_delivery_set_reel_attributes(const SrDeliveryResult *r, int frame, sr_image *img,
                                         sr_error *err);

/* The sidecars' sign_off, held_out_training, reel and fixity members. */
void sr_delivery_record_json(JsonBuilder *b, SrProject *project, const SrDeliveryOptions *o,
                             const SrDeliveryResult *r);
/* The same as alternating keys and values for the text sidecar (g_strfreev). */
char **sr_delivery_record_text(SrProject *project, const SrDeliveryOptions *o,
                               const SrDeliveryResult *r);

/* Held-out PSNR the training measured, as one sentence ("not recorded"
 * when the checkpoint has none). Caller frees. */
char *sr_delivery_held_out_text(const SrCheckpointFacts *facts);

/* The note's "Reel and fixity" section: reel name, the timecode range the
 * masters of first..last carry (or why none), and the checksum manifests a
 * delivery writes and verifies. */
void sr_delivery_note_html(GString *s, SrProject *project, int first, int last);

/* manifest-sha256.txt (and -md5) over the masters, the sidecars and the
 * validation note when it lies in the delivery folder; BagIt tag files
 * when opts->bagit. Computed from the files as read back from disk. */
gboolean sr_delivery_write_fixity(SrProject *project, const SrDeliveryOptions *opts,
                                  SrDeliveryResult *out, GError **error);

G_END_DECLS
