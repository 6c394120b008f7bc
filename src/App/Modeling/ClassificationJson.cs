using System.Text.Json;
using Lshk.Lsh;
using Lshk.Lsh.Index;

namespace Lshk.App.Modeling;

/// <summary>
/// Classification results as JSON — the one writer behind <c>lshk classify --json</c> and the service's
/// <c>POST /v1/classify</c>: an array with an object per image, <c>{"image", "class", "top": [{"class", "score"}, …]}</c>.
/// Scores are integers for the methods that count bits, floats otherwise. <c>"class"</c> is null when the image's
/// best score is below the reject threshold (an open-set "none of these"; the top list is still given) or the index
/// has no classes.
/// </summary>
public static class ClassificationJson
{
    public static void Write(Utf8JsonWriter writer, IReadOnlyList<string> images, ClassScore[][] results, SupportIndex index,
        MatchMethod method, double? reject)
    {
        writer.WriteStartArray();
        for (int i = 0; i < images.Count; i++)
        {
            writer.WriteStartObject();
            writer.WriteString("image", images[i]);
            var best = Prediction(results[i], reject);
            if (best is { } c) writer.WriteString("class", index.ClassNames[c]);
            else writer.WriteNull("class");
            writer.WriteStartArray("top");
            foreach (var s in results[i])
            {
                writer.WriteStartObject();
                writer.WriteString("class", index.ClassNames[s.Class]);
                if (method.CountsBits()) writer.WriteNumber("score", (long)s.Score);
                else writer.WriteNumber("score", (float)s.Score);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }

    /// <summary>The predicted class: the best one, unless there is none or its score is below <paramref name="reject"/>.</summary>
    public static int? Prediction(ClassScore[] top, double? reject) =>
        top.Length == 0 || top[0].Score < reject ? null : top[0].Class;
}
