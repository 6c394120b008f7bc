namespace Lshk.Lsh.Families;

/// <summary>
/// Planes trained with the embedding network (<c>lshk train --hash-bits P</c>): the weights and bias of its hash
/// layer, learned on the training classes only and stored in the model file. They are used like fitted planes
/// (fixed, carrying their own offsets), at the one length they were trained at; nothing can make them for a model
/// trained without them.
/// </summary>
public sealed class LearnedPlanes : IHashFamily
{
    public const string FamilyName = "learned";

    public static LearnedPlanes Instance { get; } = new();

    private LearnedPlanes() { }

    public string Name => FamilyName;
    public IReadOnlyList<string> Aliases => ["trained"];
    public HashFamilyKind Kind => HashFamilyKind.Trained;
    public string Summary => "planes trained with the network (hash-aware training) and stored in the model";

}
