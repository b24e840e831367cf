/* sr-page-render.h — the Render stage. Property "project". */
#pragma once

#include <gtk/gtk.h>

#include "sr-project.h"

G_BEGIN_DECLS

#define SR_TYPE_PAGE_RENDER (sr_page_render_get_type())
G_DECLARE_FINAL_TYPE(SrPageRender, sr_page_render, SR, PAGE_RENDER, GtkBox)

G_END_DECLS
