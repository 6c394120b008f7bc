using Lshk.Core;

namespace Lshk.Lsh.Index;

/// <summary>
/// A support index file that cannot be used: not an index, truncated, corrupt, inconsistent, or made for another
/// model or other planes. The message is one line, <c>file: problem</c>. It is an <see cref="InputException"/>
/// (as the dataset readers' errors are), so the CLI reports it as bad input (exit code 1).
/// </summary>
public sealed class IndexFormatException : InputException
{
    public IndexFormatException(string file, string problem) : base(file, problem)
    {
        FilePath = OneLine(file);
        Problem = OneLine(problem);
    }

    public string FilePath { get; }
    public string Problem { get; }
}
