/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "dr-sgr.h"

/* WCAG 2 contrast ratio that coloured text must reach against its background. */
#define MIN_CONTRAST 4.5

/* Opacity of text drawn with SGR 2 (faint). */
#define DIM_ALPHA 0.6

/* Maximum number of parameters read from one SGR sequence. Later ones are ignored. */
#define MAX_PARAMS 32

typedef struct
{
  guint8 red;
  guint8 green;
  guint8 blue;
} Rgb;

typedef enum
{
  COLOR_DEFAULT,
  COLOR_INDEXED,
  COLOR_RGB,
} ColorKind;

typedef struct
{
  ColorKind kind;
  guint8    index;
  Rgb       rgb;
} SgrColor;

typedef struct
{
  SgrColor foreground;
  SgrColor background;
  gboolean bold;
  gboolean dim;
  gboolean italic;
  gboolean underline;
  gboolean inverse;
  gboolean strikethrough;
} SgrState;

/* One parameter of an SGR sequence, with the sub-parameters that followed it after ":". */
typedef struct
{
  int   values[6];
  guint n_values;
} SgrParam;

/* The 16 ANSI colours, from the GNOME palette. ensure_contrast() then darkens or lightens each
 * one against the background it is drawn on. */
static const Rgb ansi_colors[16] = {
  { 0x24, 0x1f, 0x31 }, /* black */
  { 0xc0, 0x1c, 0x28 }, /* red */
  { 0x26, 0xa2, 0x69 }, /* green */
  { 0xa2, 0x73, 0x4c }, /* yellow */
  { 0x12, 0x48, 0x8b }, /* blue */
  { 0xa3, 0x47, 0xba }, /* magenta */
  { 0x2a, 0xa1, 0xb3 }, /* cyan */
  { 0xd0, 0xcf, 0xcc }, /* white */
  { 0x5e, 0x5c, 0x64 }, /* bright black */
  { 0xf6, 0x61, 0x51 }, /* bright red */
  { 0x33, 0xd1, 0x7a }, /* bright green */
  { 0xe9, 0xad, 0x0c }, /* bright yellow */
  { 0x2a, 0x7b, 0xde }, /* bright blue */
  { 0xc0, 0x61, 0xcb }, /* bright magenta */
  { 0x33, 0xc7, 0xde }, /* bright cyan */
  { 0xff, 0xff, 0xff }, /* bright white */
};

/* The view's background and text colours in libadwaita 1.2 (view_bg_color, view_fg_color with
 * its alpha flattened onto the background). */
static const Rgb light_background = { 0xff, 0xff, 0xff };
static const Rgb light_foreground = { 0x33, 0x33, 0x33 };
static const Rgb dark_background = { 0x1e, 0x1e, 0x1e };
static const Rgb dark_foreground = { 0xff, 0xff, 0xff };

static double
channel_luminance (guint8 channel)
{
  double value = channel / 255.0;

  if (value <= 0.03928)
    return value / 12.92;

  return pow ((value + 0.055) / 1.055, 2.4);
}

static double
relative_luminance (Rgb color)
{
  return 0.2126 * channel_luminance (color.red) +
         0.7152 * channel_luminance (color.green) +
         0.0722 * channel_luminance (color.blue);
}

static double
contrast_ratio (Rgb first,
                Rgb second)
{
  double a = relative_luminance (first);
  double b = relative_luminance (second);

  return (MAX (a, b) + 0.05) / (MIN (a, b) + 0.05);
}

typedef struct
{
  double hue;        /* 0 to 6, in sixths of a turn */
  double saturation; /* 0 to 1 */
  double lightness;  /* 0 to 1 */
} Hsl;

static Hsl
rgb_to_hsl (Rgb color)
{
  double red = color.red / 255.0;
  double green = color.green / 255.0;
  double blue = color.blue / 255.0;
  double max = MAX (red, MAX (green, blue));
  double min = MIN (red, MIN (green, blue));
  double delta = max - min;
  Hsl result = { 0.0, 0.0, (max + min) / 2.0 };

  if (delta == 0.0)
    return result;

  result.saturation = delta / (1.0 - fabs (2.0 * result.lightness - 1.0));
  if (max == red)
    result.hue = fmod ((green - blue) / delta + 6.0, 6.0);
  else if (max == green)
    result.hue = (blue - red) / delta + 2.0;
  else
    result.hue = (red - green) / delta + 4.0;

  return result;
}

static Rgb
hsl_to_rgb (Hsl color)
{
  double chroma = (1.0 - fabs (2.0 * color.lightness - 1.0)) * color.saturation;
  double second = chroma * (1.0 - fabs (fmod (color.hue, 2.0) - 1.0));
  double offset = color.lightness - chroma / 2.0;
  double red = 0.0;
  double green = 0.0;
  double blue = 0.0;
  Rgb result;

  switch ((int) color.hue) {
  case 0:
    red = chroma;
    green = second;
    break;
  case 1:
    red = second;
    green = chroma;
    break;
  case 2:
    green = chroma;
    blue = second;
    break;
  case 3:
    green = second;
    blue = chroma;
    break;
  case 4:
    red = second;
    blue = chroma;
    break;
  default:
    red = chroma;
    blue = second;
    break;
  }

  result.red = (guint8) lround (CLAMP (red + offset, 0.0, 1.0) * 255.0);
  result.green = (guint8) lround (CLAMP (green + offset, 0.0, 1.0) * 255.0);
  result.blue = (guint8) lround (CLAMP (blue + offset, 0.0, 1.0) * 255.0);

  return result;
}

/* Darkens `color` on a light background, or lightens it on a dark one, in steps of 2 % of
 * lightness, until it reaches MIN_CONTRAST against `background`. Hue and saturation stay, so
 * red remains a clear red in both styles. */
static Rgb
ensure_contrast (Rgb color,
                 Rgb background)
{
  gboolean darken = relative_luminance (background) > 0.18;
  Hsl hsl = rgb_to_hsl (color);
  Rgb adjusted = color;

  for (guint step = 0; step < 50 && contrast_ratio (adjusted, background) < MIN_CONTRAST; step++) {
    hsl.lightness = CLAMP (hsl.lightness + (darken ? -0.02 : 0.02), 0.0, 1.0);
    adjusted = hsl_to_rgb (hsl);
  }

  return adjusted;
}

static Rgb
indexed_to_rgb (guint8 index)
{
  static const guint8 cube_levels[6] = { 0, 95, 135, 175, 215, 255 };
  Rgb result;

  if (index < 16)
    return ansi_colors[index];

  if (index < 232) {
    guint cube = index - 16;

    result.red = cube_levels[cube / 36];
    result.green = cube_levels[(cube / 6) % 6];
    result.blue = cube_levels[cube % 6];
    return result;
  }

  result.red = result.green = result.blue = (guint8) (8 + 10 * (index - 232));

  return result;
}

static Rgb
color_to_rgb (const SgrColor *color)
{
  if (color->kind == COLOR_INDEXED)
    return indexed_to_rgb (color->index);

  return color->rgb;
}

static PangoAttribute *
make_color_attribute (Rgb      color,
                      gboolean background)
{
  guint16 red = color.red * 257;
  guint16 green = color.green * 257;
  guint16 blue = color.blue * 257;

  if (background)
    return pango_attr_background_new (red, green, blue);

  return pango_attr_foreground_new (red, green, blue);
}

static void
insert_attribute (PangoAttrList  *attributes,
                  PangoAttribute *attribute,
                  guint           start,
                  guint           end)
{
  attribute->start_index = start;
  attribute->end_index = end;
  pango_attr_list_insert (attributes, attribute);
}

/* Adds the colours of a span. Inverse swaps foreground and background. A coloured foreground
 * on the view's background gets enough contrast, and the default text colour on a coloured
 * background turns black or white when it would not read. Explicit pairs stay as they are. */
static void
add_color_attributes (PangoAttrList  *attributes,
                      const SgrState *state,
                      gboolean        dark,
                      guint           start,
                      guint           end)
{
  Rgb view_background = dark ? dark_background : light_background;
  Rgb view_foreground = dark ? dark_foreground : light_foreground;
  gboolean has_foreground = state->foreground.kind != COLOR_DEFAULT;
  gboolean has_background = state->background.kind != COLOR_DEFAULT;
  Rgb foreground = has_foreground ? color_to_rgb (&state->foreground) : view_foreground;
  Rgb background = has_background ? color_to_rgb (&state->background) : view_background;

  if (state->inverse) {
    Rgb swap = foreground;

    foreground = background;
    background = swap;
    has_foreground = has_background = TRUE;
  }

  if (has_foreground && !has_background) {
    foreground = ensure_contrast (foreground, view_background);
  } else if (!has_foreground && has_background &&
             contrast_ratio (foreground, background) < MIN_CONTRAST) {
    static const Rgb black = { 0, 0, 0 };
    static const Rgb white = { 0xff, 0xff, 0xff };

    foreground = contrast_ratio (black, background) > contrast_ratio (white, background)
                 ? black : white;
    has_foreground = TRUE;
  }

  if (has_foreground)
    insert_attribute (attributes, make_color_attribute (foreground, FALSE), start, end);
  if (has_background)
    insert_attribute (attributes, make_color_attribute (background, TRUE), start, end);
}

static void
add_span_attributes (PangoAttrList  *attributes,
                     const SgrState *state,
                     gboolean        dark,
                     guint           start,
                     guint           end)
{
  if (start >= end)
    return;

  add_color_attributes (attributes, state, dark, start, end);

  if (state->bold)
    insert_attribute (attributes, pango_attr_weight_new (PANGO_WEIGHT_BOLD), start, end);
  if (state->dim)
    insert_attribute (attributes, pango_attr_foreground_alpha_new ((guint16) (DIM_ALPHA * 65535)),
                      start, end);
  if (state->italic)
    insert_attribute (attributes, pango_attr_style_new (PANGO_STYLE_ITALIC), start, end);
  if (state->underline)
    insert_attribute (attributes, pango_attr_underline_new (PANGO_UNDERLINE_SINGLE), start, end);
  if (state->strikethrough)
    insert_attribute (attributes, pango_attr_strikethrough_new (TRUE), start, end);
}

static gboolean
state_equal (const SgrState *a,
             const SgrState *b)
{
  return memcmp (a, b, sizeof (SgrState)) == 0;
}

static void
state_reset (SgrState *state)
{
  memset (state, 0, sizeof (SgrState));
}

/* Reads an extended colour (38/48) from the parameters that follow it, in either form:
 * "38;5;n" and "38;2;r;g;b" with semicolons, or "38:5:n", "38:2:r:g:b" and "38:2:id:r:g:b"
 * with colons. Returns how many of the following parameters it used. */
static guint
parse_extended_color (const SgrParam *params,
                      guint           n_params,
                      guint           at,
                      SgrColor       *color)
{
  const SgrParam *param = &params[at];
  int values[5] = { -1, -1, -1, -1, -1 };
  guint n_values = 0;
  guint used = 0;

  if (param->n_values > 1) {
    /* In the colon form, everything is in this parameter. A truecolour form of 6 values
     * carries a colour-space id before the components. */
    guint first = 1;

    if (param->n_values == 6 && param->values[1] == 2)
      first = 2;
    values[n_values++] = param->values[1];
    for (guint i = first + 1; i < param->n_values && n_values < 5; i++)
      values[n_values++] = param->values[i];
  } else if (at + 1 < n_params) {
    guint available = n_params - at - 1;
    int mode = params[at + 1].values[0];
    guint needed = 1;

    if (mode == 5)
      needed = 2;
    else if (mode == 2)
      needed = 4;

    used = MIN (needed, available);
    for (guint i = 0; i < used; i++)
      values[n_values++] = params[at + 1 + i].values[0];
  }

  if (n_values >= 2 && values[0] == 5 && values[1] >= 0 && values[1] <= 255) {
    color->kind = COLOR_INDEXED;
    color->index = (guint8) values[1];
  } else if (n_values >= 4 && values[0] == 2 &&
             values[1] >= 0 && values[1] <= 255 &&
             values[2] >= 0 && values[2] <= 255 &&
             values[3] >= 0 && values[3] <= 255) {
    color->kind = COLOR_RGB;
    color->rgb.red = (guint8) values[1];
    color->rgb.green = (guint8) values[2];
    color->rgb.blue = (guint8) values[3];
  }

  return used;
}

static void
apply_params (SgrState       *state,
              const SgrParam *params,
              guint           n_params)
{
  if (n_params == 0) {
    state_reset (state);
    return;
  }

  for (guint i = 0; i < n_params; i++) {
    int code = params[i].values[0];

    if (code == 0) {
      state_reset (state);
    } else if (code == 1) {
      state->bold = TRUE;
    } else if (code == 2) {
      state->dim = TRUE;
    } else if (code == 3) {
      state->italic = TRUE;
    } else if (code == 4) {
      /* "4:0" turns underline off. The other underline styles (double, curly) draw a single
       * line. */
      state->underline = params[i].n_values < 2 || params[i].values[1] != 0;
    } else if (code == 7) {
      state->inverse = TRUE;
    } else if (code == 9) {
      state->strikethrough = TRUE;
    } else if (code == 21) {
      state->underline = TRUE;
    } else if (code == 22) {
      state->bold = state->dim = FALSE;
    } else if (code == 23) {
      state->italic = FALSE;
    } else if (code == 24) {
      state->underline = FALSE;
    } else if (code == 27) {
      state->inverse = FALSE;
    } else if (code == 29) {
      state->strikethrough = FALSE;
    } else if (code >= 30 && code <= 37) {
      state->foreground.kind = COLOR_INDEXED;
      state->foreground.index = (guint8) (code - 30);
    } else if (code == 38) {
      i += parse_extended_color (params, n_params, i, &state->foreground);
    } else if (code == 39) {
      state->foreground.kind = COLOR_DEFAULT;
    } else if (code >= 40 && code <= 47) {
      state->background.kind = COLOR_INDEXED;
      state->background.index = (guint8) (code - 40);
    } else if (code == 48) {
      i += parse_extended_color (params, n_params, i, &state->background);
    } else if (code == 49) {
      state->background.kind = COLOR_DEFAULT;
    } else if (code >= 90 && code <= 97) {
      state->foreground.kind = COLOR_INDEXED;
      state->foreground.index = (guint8) (code - 90 + 8);
    } else if (code >= 100 && code <= 107) {
      state->background.kind = COLOR_INDEXED;
      state->background.index = (guint8) (code - 100 + 8);
    }
  }
}

/* Parses the parameters of a CSI sequence from `start` to the final byte. Returns FALSE when
 * the sequence has private or intermediate bytes, which SGR never uses. */
static gboolean
parse_params (const char *start,
              const char *final,
              SgrParam   *params,
              guint      *n_params)
{
  SgrParam *current;

  *n_params = 0;
  if (start == final)
    return TRUE;

  memset (params, 0, sizeof (SgrParam) * MAX_PARAMS);
  current = &params[0];
  current->n_values = 1;
  *n_params = 1;

  for (const char *p = start; p < final; p++) {
    if (*p >= '0' && *p <= '9') {
      int *value = &current->values[current->n_values - 1];

      *value = MIN (*value * 10 + (*p - '0'), 100000);
    } else if (*p == ';') {
      if (*n_params == MAX_PARAMS)
        break;
      current = &params[(*n_params)++];
      current->n_values = 1;
    } else if (*p == ':') {
      if (current->n_values < G_N_ELEMENTS (current->values))
        current->n_values++;
    } else {
      return FALSE;
    }
  }

  return TRUE;
}

/* Returns the end of the escape sequence that starts at `escape`, which is an ESC byte. */
static const char *
skip_escape (const char *escape)
{
  const char *p = escape + 1;

  if (*p == '[') {
    for (p++; *p != '\0'; p++) {
      if ((guchar) *p >= 0x40 && (guchar) *p <= 0x7e)
        return p + 1;
    }
    return p;
  }

  if (*p == ']' || *p == 'P' || *p == '_' || *p == '^') {
    /* A string sequence ends with BEL or with ESC \. */
    for (p++; *p != '\0'; p++) {
      if (*p == '\a')
        return p + 1;
      if (*p == '\033' && p[1] == '\\')
        return p + 2;
    }
    return p;
  }

  return *p != '\0' ? p + 1 : p;
}

char *
dr_sgr_render (const char     *line,
               gboolean        dark,
               PangoAttrList **attributes)
{
  g_autoptr(PangoAttrList) list = pango_attr_list_new ();
  GString *text;
  SgrState state;
  guint span_start = 0;
  const char *p = line;

  g_return_val_if_fail (line != NULL, NULL);
  g_return_val_if_fail (attributes != NULL, NULL);

  text = g_string_sized_new (strlen (line));
  state_reset (&state);

  while (*p != '\0') {
    const char *run = p;

    while ((guchar) *p >= 0x20 && *p != 0x7f)
      p++;
    g_string_append_len (text, run, p - run);

    if (*p == '\0')
      break;

    if (*p == '\t') {
      g_string_append_c (text, '\t');
      p++;
    } else if (*p == '\033') {
      const char *end = skip_escape (p);

      if (p[1] == '[' && end > p + 2 && end[-1] == 'm') {
        SgrParam params[MAX_PARAMS];
        guint n_params;
        SgrState next = state;

        if (parse_params (p + 2, end - 1, params, &n_params))
          apply_params (&next, params, n_params);

        if (!state_equal (&next, &state)) {
          add_span_attributes (list, &state, dark, span_start, text->len);
          span_start = text->len;
          state = next;
        }
      }
      p = end;
    } else {
      /* Any other control character is dropped. */
      p++;
    }
  }

  add_span_attributes (list, &state, dark, span_start, text->len);
  *attributes = g_steal_pointer (&list);

  return g_string_free (text, FALSE);
}
