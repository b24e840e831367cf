/* SrViewer: A/B comparison and the display transform.
 * Frame values are decoded to linear light, scaled by the exposure, shaped
 * by log2 (the same curve as sr_display_lut_shape) and looked up in the 3D
 * display LUT. Difference mode shows |A − B| × gain without a transform. */
uniform sampler2D u_tex_a;
uniform sampler2D u_tex_b;
uniform sampler3D u_lut;
uniform int u_has_a;
uniform int u_has_b;
uniform vec2 u_size_a;
uniform vec2 u_size_b;
uniform int u_mode;          /* SrViewerMode */
uniform int u_wipe_vertical; /* 1: A left of the line, 0: A above it */
uniform float u_wipe_pos;    /* in image pixels */
uniform float u_gain;
uniform float u_exposure_gain;
uniform int u_decode;        /* SrDisplayDecode */
uniform float u_lut_size;
uniform float u_scale;       /* framebuffer pixels per widget pixel */
uniform float u_fb_height;
uniform float u_pane_width;  /* widget pixels; half the view in side-by-side */
uniform float u_view_height;
uniform float u_zoom;
uniform vec2 u_pan;
uniform vec3 u_background;

out vec4 frag_colour;

const float SHAPER_LO = -14.0;
const float SHAPER_HI = 6.0;
const float SHAPER_MIN = 1.0 / 16384.0;

vec3 decode (vec3 v)
{
  vec3 a = abs (v);
  vec3 l;
  if (u_decode == 1)
    l = mix (a / 12.92, pow ((a + 0.055) / 1.055, vec3 (2.4)), step (vec3 (0.04045), a));
  else if (u_decode == 2)
    l = pow (a, vec3 (2.4));
  else
    return v;
  return sign (v) * l;
}

vec3 display (vec3 c)
{
  vec3 x = max (decode (c) * u_exposure_gain, 0.0);
  vec3 s = clamp ((log2 (x + SHAPER_MIN) - SHAPER_LO) / (SHAPER_HI - SHAPER_LO), 0.0, 1.0);
  vec3 coord = (s * (u_lut_size - 1.0) + 0.5) / u_lut_size;
  return texture (u_lut, coord).rgb;
}

bool inside (vec2 p, vec2 size)
{
  return p.x >= 0.0 && p.y >= 0.0 && p.x < size.x && p.y < size.y;
}

void main ()
{
  vec2 p = vec2 (gl_FragCoord.x, u_fb_height - gl_FragCoord.y) / u_scale;
  int pane = 0;
  if (u_mode == 3 && p.x >= u_pane_width)
    {
      pane = 1;
      p.x -= u_pane_width;
    }
  vec2 img = (p - vec2 (u_pane_width, u_view_height) * 0.5) / u_zoom + u_pan;

  int which;
  if (u_mode == 0)
    which = 0;
  else if (u_mode == 1)
    which = 1;
  else if (u_mode == 2)
    which = ((u_wipe_vertical == 1 ? img.x : img.y) < u_wipe_pos) ? 0 : 1;
  else if (u_mode == 3)
    which = pane;
  else
    which = 2;

  vec3 colour = u_background;
  bool in_a = u_has_a == 1 && inside (img, u_size_a);
  bool in_b = u_has_b == 1 && inside (img, u_size_b);
  if (which == 0 && in_a)
    colour = display (texture (u_tex_a, img / u_size_a).rgb);
  else if (which == 1 && in_b)
    colour = display (texture (u_tex_b, img / u_size_b).rgb);
  else if (which == 2 && (in_a || in_b))
    {
      vec3 a = in_a ? texture (u_tex_a, img / u_size_a).rgb : vec3 (0.0);
      vec3 b = in_b ? texture (u_tex_b, img / u_size_b).rgb : vec3 (0.0);
      colour = clamp (abs (a - b) * u_gain, 0.0, 1.0);
    }
  frag_colour = vec4 (colour, 1.0);
}
