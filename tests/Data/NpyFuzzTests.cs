using Lshk.Data.Npy;

namespace Lshk.Tests.Data;

/// <summary>
/// Corrupted and truncated variants of valid files: each must either read as a consistent array
/// or fail with an NpyFormatException, never with any other exception, a hang or a crash.
/// </summary>
public sealed class NpyFuzzTests : IDisposable
{
    private readonly TempFolder _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private static byte[] ValidFile(int which)
    {
        var ms = new MemoryStream();
        switch (which)
        {
            case 0: NpyFile.Write(ms, new NpyArray(Enumerable.Range(0, 12).Select(i => i * 0.5f).ToArray(), 3, 4)); break;
            case 1: NpyFile.Write(ms, new NpyArray(new byte[] { 1, 2, 3, 4, 5 }, 5)); break;
            case 2: NpyFile.Write(ms, new NpyArray(new long[] { -7 })); break;
            case 3: NpyFile.Write(ms, new NpyArray(new int[24], 2, 3, 4)); break;
            default:
                return NpyBytes.Concat(NpyBytes.Header(2, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }"), NpyBytes.LE(new[] { 1.0, 2.0 }));
        }
        return ms.ToArray();
    }

    private const string HeaderAlphabet = "{}()[],:'\" \n0123456789-+LTrueFalsNonedscrfotan_hp<>|=f4i8u1c8OSU\\\t\u00e9";

    private static byte[] Mutate(byte[] valid, Random rng)
    {
        var b = new List<byte>(valid);
        int headerEnd = Math.Min(b.Count, 128);
        int edits = rng.Next(1, 4);
        for (int e = 0; e < edits; e++)
        {
            switch (rng.Next(10))
            {
                case 8: // change a data byte: the header stays valid
                    if (b.Count > valid.Length - 8 && valid.Length - 8 > 0) { int i = rng.Next(valid.Length - 8, Math.Min(b.Count, valid.Length)); b[i] = (byte)rng.Next(256); }
                    break;
                case 9: // respell the padding or a space inside the dict
                    for (int i = 10; i < Math.Min(b.Count, headerEnd); i++)
                        if (b[i] == (byte)' ' && rng.Next(4) == 0) b[i] = (byte)" \t\n\r\f"[rng.Next(5)];
                    break;
                case 0: // flip a bit anywhere
                    if (b.Count > 0) { int i = rng.Next(b.Count); b[i] ^= (byte)(1 << rng.Next(8)); }
                    break;
                case 1: // random byte in the header
                    if (b.Count > 0) b[rng.Next(Math.Min(b.Count, headerEnd))] = (byte)rng.Next(256);
                    break;
                case 2: // header-syntax character in the dict
                    if (b.Count > 10) b[rng.Next(10, Math.Min(b.Count, headerEnd))] = (byte)HeaderAlphabet[rng.Next(HeaderAlphabet.Length)];
                    break;
                case 3: // truncate
                    b.RemoveRange(rng.Next(b.Count + 1) is int cut ? cut : 0, b.Count - cut);
                    break;
                case 4: // append junk
                    for (int k = rng.Next(1, 20); k > 0; k--) b.Add((byte)rng.Next(256));
                    break;
                case 5: // insert or delete inside the header
                    if (b.Count > 10)
                    {
                        int at = rng.Next(10, Math.Min(b.Count, headerEnd));
                        if (rng.Next(2) == 0) b.Insert(at, (byte)HeaderAlphabet[rng.Next(HeaderAlphabet.Length)]);
                        else b.RemoveAt(at);
                    }
                    break;
                case 6: // rewrite the header length field
                    if (b.Count >= 12)
                    {
                        int v = rng.Next(4) switch { 0 => rng.Next(0, 200), 1 => rng.Next(), 2 => 0xffff, _ => rng.Next(100, 140) };
                        b[8] = (byte)v; b[9] = (byte)(v >> 8);
                        if (b[6] >= 2) { b[10] = (byte)(v >> 16); b[11] = (byte)(v >> 24); }
                    }
                    break;
                default: // rewrite a shape digit run with a random number
                    string text = string.Concat(b.Take(headerEnd).Select(x => (char)x));
                    int open = text.IndexOf("'shape': (", StringComparison.Ordinal);
                    if (open >= 0)
                    {
                        int start = open + 10;
                        string repl = rng.Next(5) switch { 0 => "-1", 1 => rng.NextInt64().ToString(), 2 => "0", 3 => "99999999999999999999999", _ => rng.Next(0, 30).ToString() };
                        int end = start;
                        while (end < b.Count && char.IsAsciiDigit((char)b[end])) end++;
                        b.RemoveRange(start, end - start);
                        b.InsertRange(start, repl.Select(c => (byte)c));
                    }
                    break;
            }
        }
        return b.ToArray();
    }

    [Fact]
    public void CorruptedFilesReadConsistentlyOrFailWithNpyFormatException()
    {
        var rng = new Random(20240611);
        int parsed = 0, rejected = 0;
        for (int trial = 0; trial < 600; trial++)
        {
            byte[] valid = ValidFile(trial % 5);
            byte[] bytes = Mutate(valid, rng);
            string name = $"variant-{trial}.npy";
            try
            {
                Stream source = trial % 7 == 0 ? new NpyRoundTripTests.NonSeekableStream(bytes) : new MemoryStream(bytes);
                NpyArray a = NpyFile.Read(source, name);
                parsed++;
                long product = 1;
                foreach (int d in a.Shape) { Assert.True(d >= 0, name); product *= d; }
                Assert.Equal(product, a.Length);
                Assert.Equal(a.DType.ElementType(), a.Data.GetType().GetElementType());
                NpyHeader h = NpyFile.ReadHeader(WriteTemp(bytes));
                Assert.Equal(bytes.Length, h.DataOffset + h.DataLength);
                Assert.Equal(a.Shape, h.Shape);
                // What was read writes back and reads again to the same array.
                var again = new MemoryStream();
                NpyFile.Write(again, a);
                again.Position = 0;
                NpyArray b = NpyFile.Read(again, "rewritten");
                Assert.Equal(a.Shape, b.Shape);
                Assert.Equal(a.DType, b.DType);
            }
            catch (NpyFormatException e)
            {
                rejected++;
                Assert.StartsWith(name + ": ", e.Message);
                Assert.DoesNotContain('\n', e.Message);
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                Assert.Fail($"{name}: {e.GetType().Name}: {e.Message}\nbytes: {Convert.ToHexString(bytes)}");
            }
        }
        // Both outcomes must actually occur, or the test exercises nothing.
        Assert.True(parsed >= 20, $"only {parsed} variants parsed");
        Assert.True(rejected >= 200, $"only {rejected} variants rejected");
    }

    [Fact]
    public void EveryTruncationOfAValidFileFails()
    {
        for (int which = 0; which < 5; which++)
        {
            byte[] valid = ValidFile(which);
            for (int cut = 0; cut < valid.Length; cut++)
            {
                var e = Assert.Throws<NpyFormatException>(() => NpyFile.Read(new MemoryStream(valid, 0, cut), "cut"));
                Assert.DoesNotContain('\n', e.Message);
            }
            Assert.NotNull(NpyFile.Read(new MemoryStream(valid), "whole"));
        }
    }

    [Fact]
    public void CorruptedFilesThroughTypedFileReadersFailCleanly()
    {
        var rng = new Random(99);
        for (int trial = 0; trial < 60; trial++)
        {
            string path = WriteTemp(Mutate(ValidFile(trial % 5), rng));
            foreach (Func<string, object> read in new Func<string, object>[]
                     { p => NpyFile.ReadFloat32Matrix(p), p => NpyFile.ReadUInt8Matrix(p), p => NpyFile.ReadInt64Vector(p), p => NpyFile.ReadHeader(p) })
            {
                try { read(path); }
                catch (NpyFormatException e) { Assert.StartsWith(path + ": ", e.Message); Assert.DoesNotContain('\n', e.Message); }
            }
        }
    }

    private string WriteTemp(byte[] bytes)
    {
        string path = _tmp.File("fuzz.npy");
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
