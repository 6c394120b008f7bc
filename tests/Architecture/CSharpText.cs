using System.Text;

namespace Lshk.Tests.Architecture;

/// <summary>
/// Splits C# source into code and string literals, enough for the layering test: comments dropped, every string
/// literal (regular, verbatim, raw, interpolated, with holes that hold code and strings of their own) taken out of
/// the code and kept with its line. Not a full lexer: it needs only to never mistake a comment or a string for code.
/// </summary>
internal sealed class CSharpText
{
    private readonly string _source;
    private readonly StringBuilder _code = new();
    private readonly List<(int Line, string Text)> _strings = [];
    private int _at;

    private CSharpText(string source) => _source = source;

    /// <summary>The code with comments and string contents removed (newlines kept, so line numbers still hold).</summary>
    public string Code => _code.ToString();

    /// <summary>Every string literal's text (an interpolated string's literal parts joined), with the line it starts on.</summary>
    public IReadOnlyList<(int Line, string Text)> Strings => _strings;

    public static CSharpText Parse(string source)
    {
        var text = new CSharpText(source);
        text.ScanCode(stopAtBrace: false);
        return text;
    }

    private char At(int offset = 0) => _at + offset < _source.Length ? _source[_at + offset] : '\0';

    private int Line => 1 + _source.AsSpan(0, Math.Min(_at, _source.Length)).Count('\n');

    /// <summary>Code until the end (or, inside an interpolation hole, until its closing brace).</summary>
    private void ScanCode(bool stopAtBrace)
    {
        int depth = 0;
        while (_at < _source.Length)
        {
            char c = At();
            if (c == '/' && At(1) == '/') { while (_at < _source.Length && At() != '\n') _at++; continue; }
            if (c == '/' && At(1) == '*')
            {
                int end = _source.IndexOf("*/", _at + 2, StringComparison.Ordinal);
                int stop = end < 0 ? _source.Length : end + 2;
                _code.Append('\n', _source.AsSpan(_at, stop - _at).Count('\n'));
                _at = stop;
                continue;
            }
            if (c == '\'') { SkipChar(); continue; }
            if (StringStart() is { } start) { ScanString(start); continue; }
            if (stopAtBrace)
            {
                if (c == '{') depth++;
                else if (c == '}' && depth-- == 0) return;
            }
            _code.Append(c);
            _at++;
        }
    }

    private readonly record struct Opening(int Dollars, bool Verbatim, int Quotes, int Length);

    /// <summary>A string literal starting here: its $ count, @, and opening quotes (3+ for raw strings).</summary>
    private Opening? StringStart()
    {
        int i = 0, dollars = 0;
        bool verbatim = false;
        while (At(i) is '$' or '@')
        {
            if (At(i) == '$') dollars++; else verbatim = true;
            i++;
        }
        if (At(i) != '"') return null;
        if (i > 0 && _at > 0 && (char.IsLetterOrDigit(_source[_at - 1]) || _source[_at - 1] == '_')) return null;
        int quotes = 0;
        while (At(i + quotes) == '"') quotes++;
        // "" is an empty regular string, not the start of a raw one.
        if (quotes == 2) quotes = 1;
        return new Opening(dollars, verbatim, quotes >= 3 ? quotes : 1, i);
    }

    private void ScanString(Opening start)
    {
        int line = Line;
        _at += start.Length + start.Quotes;
        var text = new StringBuilder();
        bool raw = start.Quotes >= 3;
        int holeBraces = Math.Max(1, start.Dollars);
        while (_at < _source.Length)
        {
            char c = At();
            if (raw && c == '"' && Enumerable.Range(0, start.Quotes).All(k => At(k) == '"')) { _at += start.Quotes; break; }
            if (!raw && c == '"')
            {
                if (start.Verbatim && At(1) == '"') { text.Append('"'); _at += 2; continue; }
                _at++;
                break;
            }
            if (!raw && !start.Verbatim && c == '\\') { text.Append(c).Append(At(1)); _at += 2; continue; }
            if (start.Dollars > 0 && c == '{')
            {
                if (Enumerable.Range(0, holeBraces).All(k => At(k) == '{') && At(holeBraces) != '{')
                {
                    _at += holeBraces;
                    ScanCode(stopAtBrace: true);
                    _at += holeBraces;   // the closing braces
                    text.Append("{…}");
                    continue;
                }
                if (!raw && At(1) == '{') { text.Append('{'); _at += 2; continue; }
            }
            if (c == '\n') _code.Append('\n');
            text.Append(c);
            _at++;
        }
        _strings.Add((line, text.ToString()));
    }

    private void SkipChar()
    {
        _at++;
        while (_at < _source.Length && At() != '\'' && At() != '\n') _at += At() == '\\' ? 2 : 1;
        _at++;
    }
}
