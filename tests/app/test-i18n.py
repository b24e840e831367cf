#!/usr/bin/env python3
"""Translation checks, run as: test-i18n.py SOURCE_ROOT

1. The Spanish catalogue is fresh: every msgid that xgettext extracts from
   po/POTFILES.in has an entry in po/es.po, and msgfmt reports no untranslated
   or fuzzy message.
2. No user-visible string is left unmarked: .ui properties that show text are
   translatable (or explicitly translatable="no"), the GTK/GLib calls in
   ui/*.c that put text on screen take _()/N_()/C_() rather than a bare
   literal, and so do the CLI's errors, progress notes and option help.
3. Every file in ui/ and app/cli/ that marks strings is listed in
   po/POTFILES.in.

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
]

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
# notes and --help text.
CLI_TEXT_CALLS = {
    'sr_cli_error': 1,
    'sr_progress_message': 1,
    'g_set_error': 3,
    'g_set_error_literal': 3,
    'g_option_context_set_summary': 1,
    'g_option_context_set_description': 1,
}

# A literal with no letters ("", "·", "%s", "1:1", "—") says nothing to translate.
LETTER = re.compile(r'[A-Za-z]{2,}')


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
    literal = re.match(r'"((?:[^"\\]|\\.)*)"', arg).group(1)
    return literal if LETTER.search(literal) else None


def check_c_file(path, display, problems, calls, option_entries=False):
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
             '%s() shows "%s" unmarked; wrap it in _()' % (m.group(1), literal[:60]))
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
    marked = re.compile(r'\b(N?_|C_|NC_|ngettext)\s*\(\s*"|translatable="yes"')
    for folder in ('ui', os.path.join('app', 'cli')):
        for name in sorted(os.listdir(os.path.join(root, folder))):
            rel = folder.replace(os.sep, '/') + '/' + name
            if not name.endswith(('.c', '.ui')) or rel in sources:
                continue
            with open(os.path.join(root, folder, name), encoding='utf-8') as f:
                if marked.search(f.read()):
                    fail(problems, 'po/POTFILES.in', '%s marks strings for translation '
                         'but is not listed' % rel)
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


def main():
    if len(sys.argv) != 2:
        print('usage: test-i18n.py SOURCE_ROOT', file=sys.stderr)
        return 2
    if shutil.which('xgettext') is None or shutil.which('msgfmt') is None:
        print('xgettext/msgfmt not installed; skipping')
        return 77
    root = sys.argv[1]
    problems = []
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
    check_catalogue(root, problems)
    for p in problems:
        print(p)
    if problems:
        print('%d translation problem(s)' % len(problems))
        return 1
    print('translations complete, no unmarked user-visible strings')
    return 0


if __name__ == '__main__':
    sys.exit(main())
