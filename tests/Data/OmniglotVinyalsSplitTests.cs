using Lshk.Data;
using Lshk.Data.Caching;
using Lshk.Data.Datasets;
using Lshk.Data.Sources;
using Lshk.Tests.Cli;

namespace Lshk.Tests.Data;

/// <summary>
/// Omniglot's second split, Vinyals et al.'s, on the real sets: the 1,623 characters as one list (background then
/// evaluation), the first 1,200 train, the other 423 test with their rotations as more test classes.
/// </summary>
public sealed class OmniglotVinyalsSplitTests
{
    private static readonly string Cache = Path.Combine(Path.GetTempPath(), "lshk-vinyals-tests-cache");
    private static readonly DatasetSpec Omniglot = DatasetSpec.Parse("omniglot:" + DataFiles.OmniglotFolder);

    /// <summary>
    /// Counted by hand from the evaluation alphabets in name order: Angelic 20, Atemayar_Qelisetik, Atlantean,
    /// Aurek-Besh, Avesta and Ge_ez 26 each, Glagolitic 45 make 195, so after the 964 background characters the
    /// 1,200th is Gurmukhi's 41st and the first test character Gurmukhi's 42nd.
    /// </summary>
    private const string FirstTestCharacter = "Gurmukhi/character42";
    private const int OmniglotCharacters = 1623, QuarterTurns = 4;

    private static DatasetLoader Loader() => new(new DataLocations(null, null), new DatasetCache(Cache));

    [Fact]
    public void TheFirst1200CharactersTrainAndTheRestTestWithTheirRotations()
    {
        var split = Loader().LoadFewShot(Omniglot, PreprocessSettings.Default, new SplitOptions(OmniglotDataset.VinyalsSplit, Rotations: false));
        var background = DataFiles.OmniglotBackgroundSet;
        var evaluation = DataFiles.OmniglotEvaluationSet;
        int fromEvaluation = OmniglotDataset.VinyalsTrainingCharacters - background.ClassCount;
        Assert.Equal([.. background.ClassNames, .. evaluation.ClassNames.Take(fromEvaluation)], split.Train!.ClassNames);
        Assert.Equal(background.Count + evaluation.Labels.Count(l => l < fromEvaluation), split.Train.Count);
        Assert.Null(split.Validation);

        int testCharacters = OmniglotCharacters - OmniglotDataset.VinyalsTrainingCharacters;
        var test = split.Test;
        Assert.Equal(QuarterTurns * testCharacters, test.ClassCount);
        Assert.Equal(FirstTestCharacter, test.ClassNames[0]);
        Assert.Equal(evaluation.ClassNames.Skip(fromEvaluation), test.ClassNames.Take(testCharacters));
        Assert.Equal(FirstTestCharacter + "/rot90", test.ClassNames[testCharacters]);
        Assert.Empty(test.ClassNames.Intersect(split.Train.ClassNames));
        Assert.Equal(QuarterTurns * (evaluation.Count - evaluation.Labels.Count(l => l < fromEvaluation)), test.Count);
        // Rotated classes keep their alphabet, so within-alphabet episodes stay within one alphabet.
        Assert.Equal(test.ClassGroups![0], test.ClassGroups[testCharacters]);

        // The first image of the 90° copy is the first test image turned a quarter counter-clockwise:
        // new(y, x) = old(x, side − 1 − y), worked out by hand for a counter-clockwise turn.
        int side = test.Height, rotated = Array.IndexOf(test.Labels, testCharacters);
        var original = test.Image(0).ToArray();
        var turned = test.Image(rotated).ToArray();
        for (int y = 0; y < side; y++)
        for (int x = 0; x < side; x++)
            Assert.Equal(original[x * side + (side - 1 - y)], turned[y * side + x]);
    }

    [Fact]
    public void EvaluationReadsTheSameTestClassesAndValidationComesFromTheTrainingCharacters()
    {
        var loader = Loader();
        var withValidation = loader.LoadFewShot(Omniglot, PreprocessSettings.Default,
            new SplitOptions(OmniglotDataset.VinyalsSplit, OmniglotDataset.ValidationCharacters, Seed: 1, Rotations: false));
        Assert.Equal(OmniglotDataset.ValidationCharacters, withValidation.Validation!.ClassCount);
        Assert.Equal(OmniglotDataset.VinyalsTrainingCharacters,
            withValidation.Train!.ClassCount + withValidation.Validation.ClassCount);
        Assert.Empty(withValidation.Validation.ClassNames.Intersect(withValidation.Test.ClassNames));

        var test = loader.LoadTest(Omniglot, PreprocessSettings.Default, "Vinyals");
        Assert.Equal(withValidation.Test.ClassNames, test.ClassNames);
        Assert.Equal(withValidation.Test.Labels, test.Labels);
        // The official split still reads the evaluation set alone.
        Assert.Equal(DataFiles.OmniglotEvaluationSet.ClassNames, loader.LoadTest(Omniglot, PreprocessSettings.Default, null).ClassNames);
        Assert.Equal("evaluation", Omniglot.Kind.TestPart(OmniglotDataset.OfficialSplit));
        Assert.Null(Omniglot.Kind.TestPart(OmniglotDataset.VinyalsSplit));
    }

    [Fact]
    public void OtherSplitNamesAreRefusedInOneLine()
    {
        var e = Assert.Throws<Lshk.Core.InputException>(() => Loader().LoadTest(Omniglot, PreprocessSettings.Default, "lake"));
        Assert.Equal("Omniglot splits by its official split (background alphabets train, evaluation alphabets test) or 'vinyals' " +
                     "(the first 1200 characters train), not 'lake'", e.Message);
    }

    [Fact]
    public void SetsWithTooFewCharactersAreRefused()
    {
        using var dir = new TempFolder();
        string root = dir.File("omniglot");
        Directory.CreateDirectory(root);
        DataFiles.WriteOmniglotZip(Path.Combine(root, "images_background.zip"), 2, 4, 3);
        DataFiles.WriteOmniglotZip(Path.Combine(root, "images_evaluation.zip"), 1, 5, 3, top: "images_evaluation");
        var e = Assert.Throws<DatasetFormatException>(() => new DatasetLoader(new DataLocations(null, null), cache: null)
            .LoadFewShot(DatasetSpec.Parse("omniglot:" + root), PreprocessSettings.Default, new SplitOptions(OmniglotDataset.VinyalsSplit)));
        Assert.Contains("Vinyals' split trains on 1200 characters and tests on the rest, but the two sets hold only 13", e.Message);
    }

    [Fact]
    public void UnionAppendsTheSecondSetsClassesAfterTheFirsts()
    {
        var first = new Dataset([1f, 2f, 3f], 3, 1, 1, 1, [0, 1, 0], ["a/x", "a/y"], ["a", "a"], "first");
        var second = new Dataset([4f, 5f], 2, 1, 1, 1, [1, 0], ["b/x", "b/y"], ["b", "b"], "second");
        var both = Dataset.Union(first, second, "both");
        Assert.Equal([1f, 2f, 3f, 4f, 5f], both.Images);
        Assert.Equal([0, 1, 0, 3, 2], both.Labels);
        Assert.Equal(["a/x", "a/y", "b/x", "b/y"], both.ClassNames);
        Assert.Equal(["a", "a", "b", "b"], both.ClassGroups!);
        Assert.Equal("both", both.Source);
        Assert.Throws<ArgumentException>(() => Dataset.Union(first, new Dataset([1f, 2f], 1, 1, 1, 2, [0], ["c"], null, "wide"), "x"));
    }
}
