namespace Lshk.Core;

/// <summary>
/// Bad input: a file's content, or a value the user gave, that the program cannot use. Thrown where the input is
/// read, with a one-line message that names the file or value and the problem (<c>file: problem</c>). The command
/// line reports it as <c>lshk: error: …</c> with exit code 1; anything that is not an input problem (a caller
/// breaking a library's contract, a bug) must not use this type, so that it is reported as an internal error.
/// </summary>
public class InputException : Exception
{
    public InputException(string message, Exception? inner = null) : base(OneLine(message), inner) { }

    /// <summary>A message <c>subject: problem</c>, for a problem with one file, folder or value.</summary>
    public InputException(string subject, string problem, Exception? inner = null)
        : base(OneLine(subject) + ": " + OneLine(problem), inner) { }

    /// <summary>The text with its line breaks turned into spaces, so that an error stays one line.</summary>
    public static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();
}
