using System.Buffers;
using MongoDB.Driver.GridFS;

namespace DrAssistant.Api.Recordings;

/// <summary>
/// Streams GridFS audio to the response: the whole file (200) or one range (206 with Content-Range), a buffer at a
/// time, so a download holds one chunk in memory whatever the file's size.
/// </summary>
public sealed class AudioResult(GridFSDownloadStream audio, string contentType, string entityTag, ByteRange? range) : IResult
{
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        await using var stream = audio;
        var response = httpContext.Response;
        var total = stream.Length;
        var part = range ?? new ByteRange(0, total);
        response.StatusCode = range is null ? StatusCodes.Status200OK : StatusCodes.Status206PartialContent;
        response.ContentType = contentType;
        response.ContentLength = part.Length;
        response.Headers.AcceptRanges = "bytes";
        response.Headers.ETag = entityTag;
        if (range is not null)
        {
            response.Headers.ContentRange = part.ContentRange(total);
        }

        stream.Position = part.Start;
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            var remaining = part.Length;
            while (remaining > 0)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, remaining)), httpContext.RequestAborted);
                if (read == 0)
                {
                    break;
                }

                await response.Body.WriteAsync(buffer.AsMemory(0, read), httpContext.RequestAborted);
                remaining -= read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
