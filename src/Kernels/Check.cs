namespace Lshk.Kernels;

/// <summary>Argument checks shared by every backend, so both raise the same clear errors.</summary>
public static class Check
{
    public static void Positive(int value, string name)
    {
        if (value < 1) throw new ArgumentOutOfRangeException(name, value, $"{name} must be at least 1 (got {value})");
    }

    public static void NonNegative(int value, string name)
    {
        if (value < 0) throw new ArgumentOutOfRangeException(name, value, $"{name} must not be negative (got {value})");
    }

    public static void Length<T>(ReadOnlySpan<T> span, long expected, string name)
    {
        if (span.Length != expected)
            throw new ArgumentException($"{name} has {span.Length} values, expected {expected}", name);
    }

    public static void Length<T>(Span<T> span, long expected, string name)
    {
        if (span.Length != expected)
            throw new ArgumentException($"{name} has {span.Length} values, expected {expected}", name);
    }

    /// <summary>Throws if any value is NaN or infinite, naming the first bad row.</summary>
    public static void Finite(ReadOnlySpan<float> values, int rowLength, string name)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                string row = rowLength > 0 ? $" (row {i / rowLength}, column {i % rowLength})" : "";
                throw new ArgumentException($"{name} contains {values[i]} at index {i}{row}; values must be finite", name);
            }
        }
    }

    public static void Labels(ReadOnlySpan<int> labels, int classes, string name)
    {
        for (int i = 0; i < labels.Length; i++)
            if ((uint)labels[i] >= (uint)classes)
                throw new ArgumentException($"{name}[{i}] = {labels[i]} is outside [0, {classes})", name);
    }

    /// <summary>Words per packed code: ⌈bits/32⌉.</summary>
    public static int Words(int bits) => (bits + 31) >> 5;
}
