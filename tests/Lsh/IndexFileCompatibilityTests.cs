using System.Security.Cryptography;
using Lshk.Lsh;

namespace Lshk.Tests.Lsh;

/// <summary>Index files of the random families stay byte for byte what version 1 of the format wrote.</summary>
public class IndexFileCompatibilityTests
{
    // SHA-256 of the files written before hash families had names (commit 87ef590), for the same seeded indexes.
    [Theory]
    [InlineData("gaussian", true, false, 70, "8c8c9fc6c9991af703b46da6b4fe203e6052a9c26d8a9d39efcc3caa6f3bdc2f")]
    [InlineData("integer", false, true, 64, "579e77e1b13c1d4828642789dcb90f555b314c78de555c62ff43339537c76c32")]
    [InlineData("uniform", true, true, 1, "ff0b9dbf72ff19272fb601e58f3e8da19b4f14baf628437a36a85a205394f97d")]
    public void RandomFamiliesWriteTheRecordedBytes(string family, bool center, bool offsets, int bits, string sha256)
    {
        byte[] bytes = IndexTestData.Bytes(IndexTestData.Index(n: 13, dim: 9, bits: bits, center: center, offsets: offsets,
            family: HashFamilies.Get(family)));
        Assert.Equal(sha256, Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }
}
