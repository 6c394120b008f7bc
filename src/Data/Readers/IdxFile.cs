using System.Buffers.Binary;
using System.IO.Compression;

namespace Lshk.Data.Readers;

/// <summary>
/// The IDX format of the MNIST files: a 4-byte magic (0, 0, type code, number of dimensions), each dimension as a
/// big-endian int32, then the data. Only unsigned bytes (type 0x08) are read. The file may be gzipped (detected by
/// the gzip signature, whatever its name). The data must have exactly the size the header gives: a shorter file
/// or bytes left over are errors.
/// </summary>
public static class IdxFile
{
    private const byte UnsignedByte = 0x08;

    /// <summary>Reads an unsigned-byte IDX file of <paramref name="rank"/> dimensions: its dimensions and data.</summary>
    public static (int[] Dims, byte[] Data) ReadBytes(string path, int rank)
    {
        using var file = SourceFiles.OpenRead(path);
        try
        {
            int b0 = file.ReadByte(), b1 = file.ReadByte();
            file.Position = 0;
            using Stream stream = b0 == 0x1f && b1 == 0x8b ? new GZipStream(file, CompressionMode.Decompress, leaveOpen: true) : file;
            return Parse(stream, path, rank);
        }
        catch (DatasetFormatException) { throw; }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            throw new DatasetFormatException(path, $"corrupt gzip data ({e.Message})", e);
        }
    }

    private static (int[] Dims, byte[] Data) Parse(Stream stream, string path, int rank)
    {
        byte[] magic = ReadHeader(stream, 4, path, "magic number");
        uint magicValue = BinaryPrimitives.ReadUInt32BigEndian(magic);
        if (magic[0] != 0 || magic[1] != 0)
            throw new DatasetFormatException(path, $"wrong magic number 0x{magicValue:X8}: not an IDX file");
        if (magic[2] != UnsignedByte)
            throw new DatasetFormatException(path, $"wrong magic number 0x{magicValue:X8}: element type 0x{magic[2]:X2}, expected unsigned bytes (0x08)");
        if (magic[3] != rank)
            throw new DatasetFormatException(path, $"wrong magic number 0x{magicValue:X8}: {magic[3]} dimensions, expected {rank} (0x{0x800 + rank:X8})");
        byte[] header = ReadHeader(stream, 4 * rank, path, "dimensions");
        var dims = new int[rank];
        long size = 1;
        for (int d = 0; d < rank; d++)
        {
            uint dim = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4 * d));
            if (dim == 0 || dim > int.MaxValue) throw new DatasetFormatException(path, $"dimension {d} is {dim}");
            dims[d] = (int)dim;
            size *= dim;
            if (size > SourceFiles.MaxBytes) throw new DatasetFormatException(path, $"dimensions are too large to load");
        }
        var data = new byte[size];
        int got = 0;
        while (got < data.Length)
        {
            int n = stream.Read(data, got, data.Length - got);
            if (n == 0)
                throw new DatasetFormatException(path, $"size does not match the header: {string.Join("×", dims)} needs {size} data bytes, the file has {got}");
            got += n;
        }
        long extra = 0;
        var scratch = new byte[4096];
        for (int n; (n = stream.Read(scratch)) > 0 && extra < (1 << 30);) extra += n;
        if (extra > 0)
            throw new DatasetFormatException(path, $"size does not match the header: {extra} bytes follow the {size} data bytes of {string.Join("×", dims)}");
        return (dims, data);
    }

    private static byte[] ReadHeader(Stream stream, int length, string path, string what) =>
        SourceFiles.ReadExactly(stream, length, path, _ => $"file ends inside the header ({what})");
}
