using System.Text;

namespace Lshk.Data.Npy;

/// <summary>Small text helpers shared by the reader, the writer and the error messages.</summary>
internal static class NpyText
{
    /// <summary>Python's repr of a shape tuple: <c>()</c>, <c>(5,)</c>, <c>(3, 4)</c>.</summary>
    public static string FormatShape(ReadOnlySpan<int> shape)
    {
        var sb = new StringBuilder("(");
        for (int i = 0; i < shape.Length; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(shape[i].ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        if (shape.Length == 1) sb.Append(',');
        return sb.Append(')').ToString();
    }

    /// <summary>Cuts long text (e.g. the shape of a corrupt header) down to a readable length.</summary>
    public static string Shorten(string text, int maxChars = 120) =>
        text.Length <= maxChars ? text : text[..maxChars] + $"... ({text.Length} chars)";

    /// <summary>Replaces line breaks and other control characters so a message stays on one line.</summary>
    public static string OneLine(string text)
    {
        bool clean = true;
        foreach (char c in text)
            if (char.IsControl(c)) { clean = false; break; }
        if (clean) return text;
        var sb = new StringBuilder(text.Length + 8);
        foreach (char c in text)
        {
            if (c == '\n' || c == '\r') sb.Append(' ');
            else if (char.IsControl(c)) sb.Append($"\\x{(int)c:x2}");
            else sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>Quotes a value taken from a file for an error message: escaped, single-quoted, shortened.</summary>
    public static string Quote(string value, int maxChars = 48)
    {
        var sb = new StringBuilder("'");
        int shown = Math.Min(value.Length, maxChars);
        for (int i = 0; i < shown; i++)
        {
            char c = value[i];
            if (c == '\\' || c == '\'') sb.Append('\\').Append(c);
            else if (c < 0x20 || c == 0x7f) sb.Append($"\\x{(int)c:x2}");
            else if (char.IsControl(c) || char.IsSurrogate(c) || c == '\ufffd') sb.Append($"\\u{(int)c:x4}");
            else sb.Append(c);
        }
        sb.Append('\'');
        if (value.Length > maxChars) sb.Append($"... ({value.Length} chars)");
        return sb.ToString();
    }

    /// <summary>Shows raw bytes as a Python-like bytes literal, e.g. <c>b'\x93NUMPZ'</c>.</summary>
    public static string QuoteBytes(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder("b'");
        foreach (byte b in bytes)
        {
            if (b >= 0x20 && b < 0x7f && b != (byte)'\\' && b != (byte)'\'') sb.Append((char)b);
            else sb.Append($"\\x{b:x2}");
        }
        return sb.Append('\'').ToString();
    }
}
