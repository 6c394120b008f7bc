using System.Numerics;

namespace Lshk.Data.Npy;

/// <summary>
/// A parser for the small subset of Python literal syntax that .npy headers use: dicts, tuples,
/// lists, quoted strings, integers (with Python 2's optional <c>L</c> suffix), True, False and None.
/// It is total: on any input it returns a value or throws <see cref="HeaderSyntaxException"/>.
/// </summary>
internal sealed class NpyHeaderLiteral
{
    /// <summary>A Python tuple.</summary>
    internal sealed record Tuple(List<object?> Items);

    /// <summary>A Python list.</summary>
    internal sealed record List(List<object?> Items);

    /// <summary>A Python dict with string keys, in file order.</summary>
    internal sealed record Dict(List<KeyValuePair<string, object?>> Entries);

    /// <summary>Python's None.</summary>
    internal sealed class NoneValue
    {
        public static readonly NoneValue Instance = new();
        private NoneValue() { }
    }

    internal sealed class HeaderSyntaxException(string message) : Exception(message);

    private const int MaxDepth = 16;
    private const int MaxIntegerDigits = 64;

    private readonly string _s;
    private int _pos;
    private int _depth;

    private NpyHeaderLiteral(string s) => _s = s;

    /// <summary>Parses one literal surrounded by optional whitespace.</summary>
    public static object Parse(string text)
    {
        var p = new NpyHeaderLiteral(text);
        p.SkipSpace();
        if (p._pos >= text.Length) throw new HeaderSyntaxException("the header is empty");
        object value = p.ParseValue();
        p.SkipSpace();
        if (p._pos < text.Length)
            throw p.Error("unexpected text after the header dict");
        return value;
    }

    private HeaderSyntaxException Error(string what)
    {
        int start = Math.Min(_pos, _s.Length);
        string near = _s.Substring(start, Math.Min(20, _s.Length - start));
        return new HeaderSyntaxException(
            start < _s.Length ? $"{what} at character {start} (near {NpyText.Quote(near)})" : $"{what} at the end of the header");
    }

    private void SkipSpace()
    {
        while (_pos < _s.Length && _s[_pos] is ' ' or '\t' or '\n' or '\r' or '\f' or '\v') _pos++;
    }

    private char Peek() => _pos < _s.Length ? _s[_pos] : '\0';

    private bool AtEnd => _pos >= _s.Length;

    private object ParseValue()
    {
        SkipSpace();
        if (AtEnd) throw Error("a value is missing");
        char c = _s[_pos];
        switch (c)
        {
            case '{': return Nested(ParseDict);
            case '(': return Nested(ParseParenthesised);
            case '[': return Nested(ParseList);
            case '\'': case '"': return ParseString();
        }
        if (c is '-' or '+' || char.IsAsciiDigit(c)) return ParseInteger();
        if (char.IsAsciiLetter(c) || c == '_') return ParseName();
        throw Error("unexpected character");
    }

    private object Nested(Func<object> parse)
    {
        if (++_depth > MaxDepth) throw Error($"brackets nested deeper than {MaxDepth} levels");
        object v = parse();
        _depth--;
        return v;
    }

    private object ParseDict()
    {
        _pos++; // '{'
        var entries = new List<KeyValuePair<string, object?>>();
        while (true)
        {
            SkipSpace();
            if (AtEnd) throw Error("unterminated dict (missing '}')");
            if (Peek() == '}') { _pos++; return new Dict(entries); }
            int keyPos = _pos;
            object key = ParseValue();
            if (key is not string k)
            {
                _pos = keyPos;
                throw Error("a header dict key is not a string");
            }
            foreach (var e in entries)
                if (e.Key == k) { _pos = keyPos; throw Error($"duplicate key {NpyText.Quote(k)}"); }
            SkipSpace();
            if (Peek() != ':') throw Error("expected ':' after a dict key");
            _pos++;
            object value = ParseValue();
            entries.Add(new(k, value));
            SkipSpace();
            if (Peek() == ',') { _pos++; continue; }
            if (Peek() == '}') { _pos++; return new Dict(entries); }
            throw Error("expected ',' or '}' in the dict");
        }
    }

    private object ParseParenthesised()
    {
        _pos++; // '('
        var items = new List<object?>();
        SkipSpace();
        if (Peek() == ')') { _pos++; return new Tuple(items); }
        items.Add(ParseValue());
        SkipSpace();
        if (Peek() == ')') { _pos++; return items[0]!; } // (x) is x, not a tuple
        while (true)
        {
            SkipSpace();
            if (Peek() == ',') _pos++;
            else if (Peek() == ')') { _pos++; return new Tuple(items); }
            else throw Error("expected ',' or ')' in a tuple");
            SkipSpace();
            if (Peek() == ')') { _pos++; return new Tuple(items); }
            items.Add(ParseValue());
        }
    }

    private object ParseList()
    {
        _pos++; // '['
        var items = new List<object?>();
        while (true)
        {
            SkipSpace();
            if (AtEnd) throw Error("unterminated list (missing ']')");
            if (Peek() == ']') { _pos++; return new List(items); }
            items.Add(ParseValue());
            SkipSpace();
            if (Peek() == ',') { _pos++; continue; }
            if (Peek() == ']') { _pos++; return new List(items); }
            throw Error("expected ',' or ']' in a list");
        }
    }

    private string ParseString()
    {
        char quote = _s[_pos];
        int start = _pos++;
        var sb = new System.Text.StringBuilder();
        while (true)
        {
            if (AtEnd || _s[_pos] is '\n' or '\r')
            {
                _pos = start;
                throw Error("unterminated string");
            }
            char c = _s[_pos++];
            if (c == quote) return sb.ToString();
            if (c != '\\') { sb.Append(c); continue; }
            if (AtEnd) { _pos = start; throw Error("unterminated string"); }
            char e = _s[_pos++];
            switch (e)
            {
                case '\\': case '\'': case '"': sb.Append(e); break;
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                default: _pos -= 2; throw Error("unsupported escape sequence in a string");
            }
        }
    }

    private BigInteger ParseInteger()
    {
        int start = _pos;
        bool negative = false;
        if (_s[_pos] is '-' or '+') { negative = _s[_pos] == '-'; _pos++; SkipSpace(); }
        int digitsStart = _pos;
        while (!AtEnd && char.IsAsciiDigit(_s[_pos])) _pos++;
        int digits = _pos - digitsStart;
        if (digits == 0) { _pos = start; throw Error("expected a number"); }
        if (digits > MaxIntegerDigits) { _pos = start; throw Error($"integer with more than {MaxIntegerDigits} digits"); }
        BigInteger value = BigInteger.Parse(_s.AsSpan(digitsStart, digits), System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture);
        if (!AtEnd && _s[_pos] is 'L' or 'l') _pos++; // Python 2 long suffix, as in old headers: (3L, 4L)
        if (!AtEnd && (char.IsAsciiLetterOrDigit(_s[_pos]) || _s[_pos] is '.' or '_'))
        {
            _pos = start;
            throw Error("not an integer");
        }
        return negative ? -value : value;
    }

    private object ParseName()
    {
        int start = _pos;
        while (!AtEnd && (char.IsAsciiLetterOrDigit(_s[_pos]) || _s[_pos] == '_')) _pos++;
        string name = _s[start.._pos];
        switch (name)
        {
            case "True": return true;
            case "False": return false;
            case "None": return NoneValue.Instance;
        }
        _pos = start;
        throw Error($"unexpected name {NpyText.Quote(name)}");
    }
}
