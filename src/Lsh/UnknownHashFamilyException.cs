namespace Lshk.Lsh;

/// <summary>
/// A hash family name that <see cref="HashFamilies"/> does not know: asked for by name, or named by a stored index or
/// model file. The message is one line (<c>file: unknown hash family 'x' (known: …)</c>, without the file when the
/// name did not come from one). It is an input error (<see cref="Lshk.Core.InputException"/>), as the file-format errors are.
/// </summary>
public sealed class UnknownHashFamilyException : Lshk.Core.InputException
{
    public UnknownHashFamilyException(string? file, string family, IEnumerable<string> known)
        : base(Format(file, family, known))
    {
        FilePath = file;
        Family = family;
    }

    /// <summary>The file that named the family, or null.</summary>
    public string? FilePath { get; }

    public string Family { get; }

    private static string Format(string? file, string family, IEnumerable<string> known)
    {
        string problem = $"unknown hash family '{family}' (known: {string.Join(", ", known)})".ReplaceLineEndings(" ");
        return file is null ? problem : $"{file.ReplaceLineEndings(" ").Trim()}: {problem}";
    }
}
