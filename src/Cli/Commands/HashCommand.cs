using System.CommandLine;
using Lshk.Data.Npy;
using Lshk.Lsh;

namespace Lshk.Cli.Commands;

/// <summary>
/// <c>lshk hash</c>: float embeddings (.npy, N×D) → packed codes (.npy, N×⌈P/8⌉ uint8). For P a multiple of 8 the
/// bytes are exactly numpy.packbits(bits, axis=1, bitorder='little'), which is also FAISS's binary layout.
/// </summary>
internal static class HashCommand
{
    public static Command Create()
    {
        var embeddings = new Option<string>("--embeddings") { Description = "N×D float32 embeddings (.npy)", Required = true };
        var planes = new Option<int>("--planes") { Description = "Hash bits per code (hyperplanes)", DefaultValueFactory = _ => 256 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the hyperplanes", DefaultValueFactory = _ => 1UL };
        var family = new Option<string>("--hash") { Description = $"Plane family drawn from the seed: {string.Join(", ", HashFamilies.Names)}", DefaultValueFactory = _ => "gaussian" };
        var range = new Option<int>("--range") { Description = "R of the integer family: entries in [-R, R)", DefaultValueFactory = _ => 2 };
        var offsets = new Option<bool>("--offsets") { Description = "Give each plane a random offset from the same family" };
        var center = new Option<string>("--center")
        {
            Description = "Subtract a mean before hashing: off, mean (of these embeddings) or a .npy vector file. " +
                          "Support and queries must be hashed with the same centre (see --save-center)",
            DefaultValueFactory = _ => "off",
        };
        var saveCenter = new Option<string?>("--save-center") { Description = "Write the centre used to this .npy file" };
        var output = new Option<string>("--out") { Description = "Output .npy of N×⌈P/8⌉ uint8 codes", Required = true };
        var device = CommonOptions.Device();
        var command = new Command("hash", "Hash float embeddings (.npy) to packed LSH codes (.npy, numpy.packbits little-endian layout)")
        {
            embeddings, planes, seed, family, range, offsets, center, saveCenter, output, device,
        };
        command.SetAction(parse =>
        {
            string path = parse.GetValue(embeddings)!;
            var (x, n, d) = NpyInputs.FloatMatrix(path, NpyFile.Read(path));
            int p = parse.GetValue(planes);
            UsageException.RequirePositive(p, "--planes");
            var hyperplanes = Hyperplanes.Generate(HashFamilies.Get(parse.GetValue(family)!), p, d, parse.GetValue(seed),
                parse.GetValue(offsets), parse.GetValue(range));
            string centerText = parse.GetValue(center)!;
            LshHasher hasher = centerText switch
            {
                "off" or "none" => new LshHasher(hyperplanes),
                "mean" => n > 0 ? LshHasher.CenteredOn(hyperplanes, x, n)
                    : throw new InvalidDataException($"{path}: no rows to take the mean of"),
                _ => new LshHasher(hyperplanes, ReadCenter(centerText, d)),
            };
            using var backend = CommonOptions.OpenDevice(parse, device);
            uint[] codes = hasher.Hash(backend, x, n);
            NpyFile.WriteUInt8(parse.GetValue(output)!, NpyInputs.WordsToBytes(codes, n, p), n, (p + 7) / 8);
            string? centerOut = parse.GetValue(saveCenter);
            if (centerOut is not null)
            {
                if (hasher.Center is null) throw new UsageException("--save-center needs --center mean or a centre file");
                NpyFile.WriteFloat32(centerOut, hasher.Center, d);
            }
            Output.Error(parse).WriteLine($"hashed {n} embeddings of dimension {d} to {p}-bit codes on {backend.Device.Name}");
            return 0;
        });
        return command;
    }

    private static float[] ReadCenter(string path, int d)
    {
        var array = NpyFile.Read(path);
        if (array.DType is not (NpyDType.Float32 or NpyDType.Float64) || array.Length != d || array.Rank > 2)
            throw new InvalidDataException($"{path}: expected a centre vector of {d} floats, found {array}");
        float[] center = array.ToFloat32();
        NpyInputs.Finite(path, center, d);
        return center;
    }
}
