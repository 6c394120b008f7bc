using Lshk.Core;

namespace Lshk.Data.Npy;

/// <summary>
/// A .npy file that cannot be read: missing, not a .npy file, or one this reader does not support.
/// The message is one line of the form <c>path: problem</c>; as an <see cref="InputException"/> the CLI reports
/// it as bad input (exit code 1).
/// </summary>
public sealed class NpyFormatException : InputException
{
    /// <summary>Creates the exception for <paramref name="path"/> with a one-line <paramref name="problem"/>.</summary>
    public NpyFormatException(string path, string problem)
        : base(NpyText.OneLine(path) + ": " + NpyText.OneLine(problem))
    {
        FilePath = path;
        Problem = NpyText.OneLine(problem);
    }

    /// <summary>Creates the exception with an inner cause.</summary>
    public NpyFormatException(string path, string problem, Exception inner)
        : base(NpyText.OneLine(path) + ": " + NpyText.OneLine(problem), inner)
    {
        FilePath = path;
        Problem = NpyText.OneLine(problem);
    }

    /// <summary>The file (or stream name) that could not be read.</summary>
    public string FilePath { get; }

    /// <summary>What is wrong with it, without the file name.</summary>
    public string Problem { get; }
}
