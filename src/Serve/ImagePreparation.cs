using Lshk.Data;
using Lshk.Data.Imaging;

namespace Lshk.Serve;

/// <summary>
/// Request images → the model's input tensor (N × C×H×W, prepared and normalised exactly as <c>lshk classify</c>
/// prepares files). Each image's declared size is read from its header and checked against the pixel limit before
/// it is decoded, so a small PNG that declares 100000×100000 costs nothing. Bad images are 4xx errors naming the image.
/// </summary>
public static class ImagePreparation
{
    public static float[] Prepare(IReadOnlyList<RequestImage> images, ImagePreprocessing preprocessing, ServeLimits limits)
    {
        int length = preprocessing.Channels * preprocessing.Size * preprocessing.Size;
        var pixels = new float[(long)images.Count * length];
        for (int i = 0; i < images.Count; i++)
        {
            var image = images[i];
            try
            {
                var (width, height) = ImageDecoder.Measure(image.Bytes, image.Name);
                if ((long)width * height > limits.MaxImagePixels)
                    throw ApiException.TooLarge($"{image.Name}: image declares {width}×{height} pixels, over the limit of {limits.MaxImagePixels}");
                ImageFiles.Prepare(image.Bytes, image.Name, preprocessing).CopyTo(pixels.AsSpan(i * length, length));
            }
            catch (DatasetFormatException e)
            {
                throw ApiException.BadRequest(e.Message);
            }
        }
        preprocessing.Normalise(pixels);
        return pixels;
    }
}
