/* sr-i18n.h — marks the engine's user-visible messages for translation.
 *
 * The engine stays free of GLib: it looks its messages up with glibc's
 * dgettext() in the application's domain. The front end (CLI, GUI) binds that
 * domain with bindtextdomain()/bind_textdomain_codeset() before it calls the
 * engine; when nothing is bound (tests, other hosts) dgettext() returns the
 * English msgid unchanged, so the engine works the same without a catalogue.
 *
 * SR_("...")   a message looked up now; the format directives of a c-format
 *              msgid must stay identical in every translation.
 * SR_N_("...") a message only marked here (in a table, a static initialiser)
 *              and looked up later with SR_(ptr) where it is shown.
 * SR_NG_(singular, plural, n)  a message whose wording depends on a count.
 */
#pragma once

#include <libintl.h>

/* The application's domain (SR_GETTEXT_PACKAGE in meson.build; the CUDA
 * module, built by nvcc without sr-config.h, uses it too). test-i18n.py checks
 * that the two agree. */
#define SR_GETTEXT_DOMAIN "spatial-recovery"

#define SR_(s)          dgettext(SR_GETTEXT_DOMAIN, s)
#define SR_N_(s)        (s)
#define SR_NG_(s, p, n) dngettext(SR_GETTEXT_DOMAIN, s, p, (unsigned long)(n))
