using Lshk.Core;

namespace Lshk.Data;

/// <summary>
/// A dataset file (or an entry inside an archive) that cannot be used: missing, truncated, corrupt, or laid out
/// differently from the official distribution. The message is one line of the form <c>file: problem</c>.
/// It is an <see cref="InputException"/>, so the CLI reports it as bad input (exit code 1).
/// </summary>
public sealed class DatasetFormatException : InputException
{
    public DatasetFormatException(string file, string problem, Exception? inner = null)
        : base(file, problem, inner)
    {
        FilePath = OneLine(file);
        Problem = OneLine(problem);
    }

    /// <summary>The file, folder or archive entry (<c>archive.zip!entry</c>) that could not be read.</summary>
    public string FilePath { get; }

    /// <summary>What is wrong with it, without the file name.</summary>
    public string Problem { get; }

    /// <summary>The name of an archive entry as reported in errors.</summary>
    internal static string Entry(string archive, string entry) => archive + "!" + entry;
}
