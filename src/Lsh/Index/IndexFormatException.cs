namespace Lshk.Lsh.Index;

/// <summary>
/// A support index file that cannot be used: not an index, truncated, corrupt, inconsistent, or made for another
/// model or other planes. The message is one line, <c>file: problem</c>. It derives from
/// <see cref="IOException"/> (as the dataset readers' errors do), so the CLI reports it as a user error.
/// </summary>
public sealed class IndexFormatException : IOException
{
    public IndexFormatException(string file, string problem) : base($"{OneLine(file)}: {OneLine(problem)}")
    {
        FilePath = OneLine(file);
        Problem = OneLine(problem);
    }

    public string FilePath { get; }
    public string Problem { get; }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();
}
