namespace Lshk.Kernels.Nn.Cpu;

/// <summary>
/// How <see cref="WinogradConv"/> lays out one call: the tile size, how many images one work item takes, and the
/// channels-last buffers' strides. A work item's images sit one below the other in its buffers, each with its own
/// zero border, and its tiles are numbered image by image; the tile offset tables (<see cref="WinogradConv"/> fills
/// them) say where each tile's window starts, so the transforms never need to know which image a tile belongs to.
/// </summary>
internal unsafe readonly struct WinogradGeometry
{
    /// <summary>
    /// Floats added to the row and matrix strides so they are not multiples of 4 KiB, as they would be for Conv-4 (a
    /// 14×14 map's padded row of 64 channels is 16·64·4 bytes): there loads can falsely wait on unrelated stores whose
    /// addresses match in their low 12 bits (4K aliasing). A precaution; on the Zen 4 its effect was within the noise.
    /// </summary>
    public const int Skew = 16;

    /// <summary>
    /// Tiles transformed, multiplied and transformed back together, so that a chunk's transformed matrices stay in the
    /// core's caches between the steps (F(4×4, 3×3): 36 points × 16 tiles × 64 channels × 4 bytes = 147 KB each of V
    /// and M). Maps with fewer tiles than this take several images per work item, up to this many tiles, so the
    /// products' 8-row blocks are not mostly padding (a 3×3 map is one F(4×4) tile).
    /// </summary>
    public const int ChunkTiles = 16;

    public readonly int Cin, Cout, H, W, OH, OW, InPlane, OutPlane;
    public readonly int Tile, Window, Points;   // m (outputs per tile side), α = m + 2 (input window side), α²
    public readonly int TH, TW, TilesPerImage;  // tiles down and across one image, and their product
    public readonly int Group, T;               // images per work item, and the tiles of a full one
    public readonly int ChunkRows;              // tiles per chunk, rounded up to the products' 8 rows
    public readonly int CP, KP;                 // input and output channels rounded up to the products' 32 columns
    public readonly int PH, PW;                 // one image's padded input: a zero row and column before, enough after for whole windows
    public readonly int InRow, OutRow;          // row strides of the channels-last input and output buffers
    public readonly int InImage, OutImage;      // strides between a work item's images in those buffers
    public readonly int VXi, MXi;               // strides between the points' matrices of V and M
    public readonly int HwcLength, OutHwcLength;

    public WinogradGeometry(in Conv2dShape s, int tile)
    {
        Cin = s.InChannels; Cout = s.OutChannels; H = s.Height; W = s.Width; OH = s.OutHeight; OW = s.OutWidth;
        InPlane = H * W; OutPlane = OH * OW;
        Tile = tile;
        Window = tile + 2;
        Points = Window * Window;
        TH = (OH + tile - 1) / tile;
        TW = (OW + tile - 1) / tile;
        TilesPerImage = TH * TW;
        Group = Math.Clamp(ChunkTiles / TilesPerImage, 1, s.Batch);
        T = Group * TilesPerImage;
        ChunkRows = (Math.Min(T, ChunkTiles) + ConvMicroKernels.Rows - 1) / ConvMicroKernels.Rows * ConvMicroKernels.Rows;
        CP = (Cin + ConvMicroKernels.Cols - 1) / ConvMicroKernels.Cols * ConvMicroKernels.Cols;
        KP = (Cout + ConvMicroKernels.Cols - 1) / ConvMicroKernels.Cols * ConvMicroKernels.Cols;
        PH = tile * TH + 2;
        PW = tile * TW + 2;
        InRow = PW * CP + Skew;
        OutRow = tile * TW * KP + Skew;
        InImage = PH * InRow;
        OutImage = tile * TH * OutRow;
        VXi = ChunkRows * CP + Skew;
        MXi = ChunkRows * KP + Skew;
        HwcLength = Group * InImage;
        OutHwcLength = Group * OutImage;
    }

    /// <summary>Work items of a batch: its images, <see cref="Group"/> at a time.</summary>
    public int Items(int batch) => (batch + Group - 1) / Group;

    /// <summary>Where tile t of a work item starts: its window in the input buffer, its block in the output buffer.</summary>
    public void FillTileOffsets(int* tileIn, int* tileOut)
    {
        for (int t = 0; t < T; t++)
        {
            int image = t / TilesPerImage, within = t - image * TilesPerImage;
            int th = within / TW, tw = within - th * TW;
            tileIn[t] = image * InImage + Tile * th * InRow + Tile * tw * CP;
            tileOut[t] = image * OutImage + Tile * th * OutRow + Tile * tw * KP;
        }
    }
}
