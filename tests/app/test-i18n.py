#!/usr/bin/env python3
"""Translation checks, run as: test-i18n.py SOURCE_ROOT

1. The Spanish catalogue is fresh: every msgid that xgettext extracts from
   po/POTFILES.in has an entry in po/es.po, and msgfmt reports no untranslated
   or fuzzy message (and no format directive that differs from its msgid).
2. No user-visible string is left unmarked: .ui properties that show text are
   translatable (or explicitly translatable="no"), the GTK/GLib calls in
   ui/*.c that put text on screen take _()/N_()/C_() rather than a bare
   literal, and so do the CLI's errors, summaries, progress notes and option
   help, the GLib errors of app/*.c, and the engine's messages (sr_error_set,
   sr_error_set_errno, sr_error_prefix, check and flag reasons), which take
   SR_()/SR_N_()/SR_NG_() from engine/core/sr-i18n.h.
3. Every file in ui/, app/, app/cli/ and engine/ that marks strings is listed
   in po/POTFILES.in, and po/meson.build extracts the engine's keywords.
4. The catalogue reaches the user: the CLI, run with LANGUAGE=es on a file
   that is not an image, prints the engine's error in Spanish (and in English
   without LANGUAGE). Needs $SR_CLI (set by the test environment) and a UTF-8
   locale (C.UTF-8 or es_*.UTF-8); without either that part is skipped.

Exits 77 (skipped) when xgettext or msgfmt is not installed.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

XGETTEXT_ARGS = [
    '--from-code=UTF-8', '--add-comments',
    '--keyword=_', '--keyword=N_', '--keyword=C_:1c,2', '--keyword=NC_:1c,2',
    '--keyword=g_dngettext:2,3', '--keyword=ngettext:1,2',
] + [
    # engine/core/sr-i18n.h; po/meson.build passes the same (checked below).
    '--keyword=SR_', '--keyword=SR_N_', '--keyword=SR_NG_:1,2',
    '--flag=SR_:1:pass-c-format', '--flag=SR_N_:1:pass-c-format',
    '--flag=SR_NG_:1:pass-c-format', '--flag=SR_NG_:2:pass-c-format',
    '--flag=sr_error_set:3:c-format', '--flag=sr_error_set_errno:3:c-format',
    '--flag=sr_error_prefix:2:c-format', '--flag=sr_check_report_add:6:c-format',
    '--flag=add_flag:3:c-format',
]
ENGINE_XGETTEXT_ARGS = [a for a in XGETTEXT_ARGS if 'SR_' in a or a.startswith('--flag=')]

# Properties whose value the user reads.
UI_TEXT_PROPERTIES = {'label', 'title', 'tooltip-text', 'tooltip-markup',
                      'placeholder-text', 'text', 'subtitle', 'description',
                      'accelerator-label', 'heading', 'body'}

# Calls whose Nth argument (0-based) is text shown on screen.
C_TEXT_CALLS = {
    'gtk_label_new': 0,
    'gtk_label_set_text': 1,
    'gtk_label_set_label': 1,
    'gtk_label_set_markup': 1,
    'gtk_button_new_with_label': 0,
    'gtk_button_new_with_mnemonic': 0,
    'gtk_button_set_label': 1,
    'gtk_check_button_new_with_label': 0,
    'gtk_toggle_button_new_with_label': 0,
    'gtk_check_button_set_label': 1,
    'gtk_widget_set_tooltip_text': 1,
    'gtk_widget_set_tooltip_markup': 1,
    'gtk_window_set_title': 1,
    'gtk_frame_new': 0,
    'gtk_entry_set_placeholder_text': 1,
    'gtk_text_set_placeholder_text': 1,
    'gtk_progress_bar_set_text': 1,
    'gtk_file_dialog_set_title': 1,
    'gtk_file_dialog_set_accept_label': 1,
    'gtk_alert_dialog_new': 0,
    'gtk_alert_dialog_set_detail': 1,
    'gtk_string_list_append': 1,
    'g_menu_append': 1,
    'g_menu_item_new': 0,
    'g_menu_append_section': 1,
    'g_menu_append_submenu': 1,
    'g_notification_new': 0,
    'g_notification_set_body': 1,
    'g_set_error': 3,
    'g_set_error_literal': 3,
    'g_error_new': 2,
    'g_error_new_literal': 2,
    'g_task_return_new_error': 3,
    'sr_window_show_error': 1,
    'sr_window_show_toast': 1,
    'sr_window_toast': 1,
    'adw_toast_new': 0,
    'gtk_label_set_text_with_mnemonic': 1,
}

# The same for the command-line tool (app/cli/*.c): its errors, progress
# notes, --help text and the human-readable summaries it prints (the JSON of
# --json and --progress=json is assembled with json-glib or GString, not with
# these calls, so its keys stay as they are).
CLI_TEXT_CALLS = {
    'sr_cli_error': 1,
    'sr_progress_message': 1,
    'g_set_error': 3,
    'g_set_error_literal': 3,
    'g_option_context_set_summary': 1,
    'g_option_context_set_description': 1,
    'printf': 0,
    'fprintf': 1,
    'sr_error_prefix': 1,
}

# The GLib layer (app/*.c): its errors and the reasons it adds to reports.
APP_TEXT_CALLS = {
    'g_set_error': 3,
    'g_set_error_literal': 3,
    'g_task_return_new_error': 3,
    'sr_error_prefix': 1,
    'sr_check_report_add': 5,
    'field_error': 2,
    'set_from_sr': 2,
}

# The engine (engine/**/*.c): every message that can reach the user goes
# through one of these; a bare literal there is English in every language.
ENGINE_TEXT_CALLS = {
    'sr_error_set': 2,
    'sr_error_set_errno': 2,
    'sr_error_prefix': 1,
    'sr_check_report_add': 5,
    'add_flag': 2,
    'set_reason': 2,
    'png_error': 1,
    'tiff_corrupt': 3,
    'exr_set_error': 4,
    'exr_set_write_error': 4,
    'set_err': 2,  # engine/cuda: the module sets sr_error by itself
}

# A literal with no letters ("", "·", "%s", "1:1", "—") says nothing to translate;
# neither does the program's name in front of a message.
LETTER = re.compile(r'[A-Za-z]{2,}')
PROGRAM_NAME = re.compile(r'spatial-recovery-cli( [a-z]+)?:?')
# printf directives ("%zu", "%-32s", "%" PRId64) and units, which read the same
# in every language: a row format like "%5d  %6.2f dB" is not words.
DIRECTIVE = re.compile(r'%[-+ #0\'*.0-9]*(hh|h|ll|l|L|z|j|t)?[diouxXeEfFgGaAcspn%]|"\s*PRI\w+\s*"')
UNIT = re.compile(r'\b(dB|px|GiB|MiB|KiB)\b')


def fail(problems, where, message):
    problems.append('%s: %s' % (where, message))


def strip_c_comments(text):
    """Blanks comments but keeps line numbers and string literals."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"' or c == "'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == '\\' else 1
            out.append(text[i:j + 1])
            i = j + 1
        elif text.startswith('/*', i):
            j = text.find('*/', i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r'[^\n]', ' ', text[i:j]))
            i = j
        elif text.startswith('//', i):
            j = text.find('\n', i)
            j = n if j < 0 else j
            out.append(' ' * (j - i))
            i = j
        else:
            out.append(c)
            i += 1
    return ''.join(out)


def split_arguments(text, start):
    """Arguments of the call whose '(' is at text[start]: list of (offset, str)."""
    depth, i, n = 0, start, len(text)
    args, arg_start = [], start + 1
    while i < n:
        c = text[i]
        if c == '"' or c == "'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == '\\' else 1
            i = j + 1
            continue
        if c in '([{':
            depth += 1
        elif c in ')]}':
            depth -= 1
            if depth == 0:
                args.append((arg_start, text[arg_start:i]))
                return args
        elif c == ',' and depth == 1:
            args.append((arg_start, text[arg_start:i]))
            arg_start = i + 1
        i += 1
    return args


def bare_literal(arg):
    """The text of an argument that is a bare string literal with words, else None."""
    arg = arg.strip()
    if not arg.startswith('"'):
        return None  # _("…"), a variable or a formatted string built elsewhere
    # "…%" G_GINT64_FORMAT "…" is one format: look at every piece of it.
    literal = ''.join(re.findall(r'"((?:[^"\\]|\\.)*)"', arg))
    words = UNIT.sub('', DIRECTIVE.sub('', PROGRAM_NAME.sub('', literal)))
    return literal if LETTER.search(words) else None


def check_c_file(path, display, problems, calls, option_entries=False, marker='_()'):
    with open(path, encoding='utf-8') as f:
        text = strip_c_comments(f.read())
    call = re.compile(r'\b(' + '|'.join(sorted(calls)) + r')\s*\(')
    for m in call.finditer(text):
        index = calls[m.group(1)]
        args = split_arguments(text, m.end() - 1)
        if index >= len(args):
            continue
        offset, arg = args[index]
        literal = bare_literal(arg)
        if literal is None:
            continue
        line = text.count('\n', 0, offset) + 1
        fail(problems, '%s:%d' % (display, line),
             '%s() shows "%s" unmarked; wrap it in %s' % (m.group(1), literal[:60], marker))
    if not option_entries:
        return
    # GOptionEntry {long_name, short, flags, arg, arg_data, description, arg_description}
    for m in re.finditer(r'\{\s*"[a-z0-9-]+"\s*,[^{}]*?G_OPTION_ARG_\w+', text):
        args = split_arguments(text, m.start())
        if len(args) < 6:
            continue
        offset, arg = args[5]
        literal = bare_literal(arg)
        if literal is None:
            continue
        line = text.count('\n', 0, offset) + 1
        fail(problems, '%s:%d' % (display, line),
             'option description "%s" unmarked; wrap it in _()' % literal[:60])


def check_ui_file(path, display, problems):
    with open(path, encoding='utf-8') as f:
        text = f.read()
    tag = re.compile(r'<(property|attribute|item)\b([^>]*)>([^<]*)<', re.S)
    for m in tag.finditer(text):
        kind, attrs, value = m.group(1), m.group(2), m.group(3)
        line = text.count('\n', 0, m.start()) + 1
        if kind in ('property', 'attribute'):
            name = re.search(r'name="([^"]+)"', attrs)
            if name is None:
                continue
            name = name.group(1).replace('_', '-')
            if kind == 'property' and name not in UI_TEXT_PROPERTIES:
                continue
            if kind == 'attribute' and name != 'label':
                continue
            label = '<%s name="%s">' % (kind, name)
        else:
            label = '<item>'
        if not value.strip() or not LETTER.search(value):
            continue
        if re.search(r'translatable="(yes|no|true|false)"', attrs):
            continue
        fail(problems, '%s:%d' % (display, line),
             '%s "%s" needs translatable="yes" (or "no" when it is not words)'
             % (label, value.strip()[:60]))


def read_po_msgids(path):
    """The msgids (with context) of a .po/.pot file, obsolete entries skipped."""
    ids, entry, field = set(), {}, None
    def flush():
        if 'msgid' in entry and entry['msgid'] != '':
            ids.add((entry.get('msgctxt'), entry['msgid']))
    with open(path, encoding='utf-8') as f:
        for raw in f:
            line = raw.strip()
            if line.startswith('#~'):
                continue
            if not line or line.startswith('#'):
                if line == '' and entry:
                    flush()
                    entry, field = {}, None
                continue
            m = re.match(r'(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+"(.*)"$', line)
            if m:
                if m.group(1) == 'msgctxt' and 'msgid' in entry:
                    flush()
                    entry = {}
                field = m.group(1)
                entry[field] = m.group(2)
            elif line.startswith('"') and field:
                entry[field] += line[1:-1]
    flush()
    return ids


def check_catalogue(root, problems):
    po_dir = os.path.join(root, 'po')
    with open(os.path.join(po_dir, 'POTFILES.in'), encoding='utf-8') as f:
        sources = [l.strip() for l in f if l.strip() and not l.startswith('#')]
    for s in sources:
        if not os.path.exists(os.path.join(root, s)):
            fail(problems, 'po/POTFILES.in', 'lists %s, which does not exist' % s)
    # A file that marks strings but is missing from POTFILES.in would ship them
    # untranslated without any other symptom.
    marked = re.compile(r'\b(N?_|C_|NC_|ngettext|SR_|SR_N_|SR_NG_)\s*\(\s*"|translatable="yes"')
    for folder in ['ui', 'app', os.path.join('app', 'cli')] + engine_folders(root):
        for name in sorted(os.listdir(os.path.join(root, folder))):
            rel = folder.replace(os.sep, '/') + '/' + name
            if not name.endswith(('.c', '.h', '.cu', '.ui')) or rel in sources:
                continue
            with open(os.path.join(root, folder, name), encoding='utf-8') as f:
                text = f.read()
            if not name.endswith('.ui'):
                text = strip_c_comments(text)  # sr-i18n.h shows SR_("...") in a comment
            if marked.search(text):
                fail(problems, 'po/POTFILES.in', '%s marks strings for translation '
                     'but is not listed' % rel)
    # The catalogue target must extract the engine's messages the way this
    # test does, or they would pass here and ship untranslated.
    with open(os.path.join(po_dir, 'meson.build'), encoding='utf-8') as f:
        meson_po = f.read()
    for arg in ENGINE_XGETTEXT_ARGS:
        if "'%s'" % arg not in meson_po:
            fail(problems, 'po/meson.build', 'xgettext args lack %s' % arg)
    # The engine looks its messages up in a domain it names itself.
    with open(os.path.join(root, 'meson.build'), encoding='utf-8') as f:
        package = re.search(r"'SR_GETTEXT_PACKAGE',\s*'([^']+)'", f.read())
    with open(os.path.join(root, 'engine', 'core', 'sr-i18n.h'), encoding='utf-8') as f:
        domain = re.search(r'#define SR_GETTEXT_DOMAIN "([^"]+)"', f.read())
    if not package or not domain or package.group(1) != domain.group(1):
        fail(problems, 'engine/core/sr-i18n.h', 'SR_GETTEXT_DOMAIN is not the '
             'SR_GETTEXT_PACKAGE of meson.build')
    with tempfile.TemporaryDirectory() as tmp:
        pot = os.path.join(tmp, 'spatial-recovery.pot')
        r = subprocess.run(['xgettext'] + XGETTEXT_ARGS + ['-D', root, '-o', pot]
                           + [s for s in sources if os.path.exists(os.path.join(root, s))],
                           capture_output=True, text=True)
        if r.returncode != 0:
            fail(problems, 'xgettext', r.stderr.strip())
            return
        wanted = read_po_msgids(pot)
    es = os.path.join(po_dir, 'es.po')
    have = read_po_msgids(es)
    missing = sorted(wanted - have, key=lambda e: e[1])
    for ctxt, msgid in missing:
        fail(problems, 'po/es.po', 'no entry for %s"%s"; run `meson compile '
             'spatial-recovery-update-po` and translate it'
             % ('' if ctxt is None else '[%s] ' % ctxt, msgid[:70]))
    print('catalogue: %d strings extracted, %d entries in es.po' % (len(wanted), len(have)))
    with tempfile.TemporaryDirectory() as tmp:
        r = subprocess.run(['msgfmt', '--check', '--statistics', '-o',
                            os.path.join(tmp, 'es.mo'), es],
                           capture_output=True, text=True, env=dict(os.environ, LC_ALL='C'))
    stats = (r.stdout + r.stderr).strip()
    print('msgfmt: ' + stats)
    if r.returncode != 0:
        fail(problems, 'po/es.po', 'msgfmt --check failed: ' + stats)
    elif re.search(r'\b(untranslated|fuzzy)\b', stats):
        fail(problems, 'po/es.po', 'not complete: ' + stats)


def engine_folders(root):
    """engine/ and its subfolders, relative to root."""
    out = []
    for dirpath, dirnames, _files in os.walk(os.path.join(root, 'engine')):
        dirnames.sort()
        out.append(os.path.relpath(dirpath, root))
    return out


def utf8_locale():
    """A UTF-8 locale that lets LANGUAGE pick the catalogue, or None."""
    try:
        names = subprocess.run(['locale', '-a'], capture_output=True, text=True).stdout.split()
    except OSError:
        return None
    # glibc ignores LANGUAGE under plain "C"/"POSIX" but not under C.UTF-8.
    for want in ('C.UTF-8', 'C.utf8', 'es_ES.UTF-8', 'es_ES.utf8'):
        if want in names:
            return want
    for n in names:
        if n.startswith('es_') and n.lower().endswith(('.utf-8', '.utf8')):
            return n
    return None


def check_cli_in_spanish(root, problems):
    """Runs the CLI on a file that is not an image, in Spanish and in English."""
    cli = os.environ.get('SR_CLI')
    if not cli or not os.access(cli, os.X_OK):
        print('cli: $SR_CLI not set or not built; Spanish run skipped')
        return
    loc = utf8_locale()
    if loc is None:
        print('cli: no C.UTF-8 or Spanish UTF-8 locale installed; Spanish run skipped')
        return
    with tempfile.TemporaryDirectory() as tmp:
        mo_dir = os.path.join(tmp, 'locale', 'es', 'LC_MESSAGES')
        os.makedirs(mo_dir)
        r = subprocess.run(['msgfmt', '-o', os.path.join(mo_dir, 'spatial-recovery.mo'),
                            os.path.join(root, 'po', 'es.po')], capture_output=True, text=True)
        if r.returncode != 0:
            fail(problems, 'po/es.po', 'msgfmt failed: ' + r.stderr.strip())
            return
        for name in ('src.0001.exr', 'ref.0001.exr'):
            with open(os.path.join(tmp, name), 'w') as f:
                f.write('not an image at all')
        args = [cli, 'train', '--source', os.path.join(tmp, 'src.%04d.exr'),
                '--reference', os.path.join(tmp, 'ref.%04d.exr'), '--pairs', '1',
                '--out', os.path.join(tmp, 'out'), '--progress', 'quiet']
        base = {k: v for k, v in os.environ.items()
                if not k.startswith('LC_') and k not in ('LANG', 'LANGUAGE')}
        base.update(LANG=loc, SR_LOCALEDIR=os.path.join(tmp, 'locale'))
        # (env, text the engine's message must hold, language)
        runs = [(dict(base, LANGUAGE='es'), 'no es una imagen que este programa lea', 'Spanish'),
                (base, 'not an image this program reads', 'English')]
        for env, want, language in runs:
            r = subprocess.run(args, capture_output=True, text=True, env=env, timeout=60)
            print('cli (%s, LANG=%s): exit %d: %s' % (language, loc, r.returncode,
                                                      r.stderr.strip()))
            if r.returncode != 1 or want not in r.stderr:
                fail(problems, 'spatial-recovery-cli', 'in %s the engine error should hold '
                     '"%s"; got exit %d: %s' % (language, want, r.returncode, r.stderr.strip()))


def self_test():
    """The scanner itself must catch an unmarked engine message, or every
    check above could pass by finding nothing."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, 'plant.c')
        with open(path, 'w', encoding='utf-8') as f:
            f.write('static void f(sr_error *err, const char *p)\n{\n'
                    '  sr_error_set(err, SR_ERR_IO,\n               "cannot read %s", p);\n'
                    '  sr_error_set(err, SR_ERR_IO, SR_("cannot write %s"), p);\n'
                    '  /* sr_error_set(err, SR_ERR_IO, "in a comment"); */\n'
                    '  sr_error_prefix(err, "%d: ", 3);\n}\n')
        found = []
        check_c_file(path, 'plant.c', found, ENGINE_TEXT_CALLS)
    if len(found) != 1 or '"cannot read %s"' not in found[0]:
        return ['test-i18n.py: the scanner missed a planted unmarked message: %r' % found]
    return []


def main():
    if len(sys.argv) != 2:
        print('usage: test-i18n.py SOURCE_ROOT', file=sys.stderr)
        return 2
    if shutil.which('xgettext') is None or shutil.which('msgfmt') is None:
        print('xgettext/msgfmt not installed; skipping')
        return 77
    root = sys.argv[1]
    problems = self_test()
    ui_dir = os.path.join(root, 'ui')
    for name in sorted(os.listdir(ui_dir)):
        path = os.path.join(ui_dir, name)
        if name.endswith('.ui'):
            check_ui_file(path, 'ui/' + name, problems)
        elif name.endswith('.c'):
            check_c_file(path, 'ui/' + name, problems, C_TEXT_CALLS)
    cli_dir = os.path.join(root, 'app', 'cli')
    for name in sorted(os.listdir(cli_dir)):
        if name.endswith('.c'):
            check_c_file(os.path.join(cli_dir, name), 'app/cli/' + name, problems,
                         CLI_TEXT_CALLS, option_entries=True)
    app_dir = os.path.join(root, 'app')
    for name in sorted(os.listdir(app_dir)):
        if name.endswith('.c'):
            check_c_file(os.path.join(app_dir, name), 'app/' + name, problems, APP_TEXT_CALLS)
    for folder in engine_folders(root):
        for name in sorted(os.listdir(os.path.join(root, folder))):
            if name.endswith(('.c', '.cu')):
                rel = folder.replace(os.sep, '/') + '/' + name
                check_c_file(os.path.join(root, folder, name), rel, problems,
                             ENGINE_TEXT_CALLS, marker='SR_() (engine/core/sr-i18n.h)')
    check_catalogue(root, problems)
    check_cli_in_spanish(root, problems)
    for p in problems:
        print(p)
    if problems:
        print('%d translation problem(s)' % len(problems))
        return 1
    print('translations complete, no unmarked user-visible strings')
    return 0


if __name__ == '__main__':
    sys.exit(main())
