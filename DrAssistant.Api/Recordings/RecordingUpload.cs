using System.Buffers;
using DrAssistant.Api.Notes;
using MongoDB.Bson;
using MongoDB.Driver;
using MongoDB.Driver.GridFS;

namespace DrAssistant.Api.Recordings;

/// <summary>Why an upload's audio was not stored.</summary>
public enum UploadRefusal
{
    /// <summary>More than <c>Recordings:MaxBytes</c> (counted as it came, or stopped by the server's own body limit).</summary>
    TooLarge,

    /// <summary>No byte of audio.</summary>
    Empty,
}

/// <summary>
/// One upload in progress, and the one owner of the audio it writes: the file is streamed into GridFS a buffer at a
/// time (never held whole, counting bytes as they come: a client's Content-Length may lie or be absent), and unless
/// <see cref="Keep"/> is called once the recording refers to it, disposing removes whatever was written — refused,
/// malformed, cut off, cancelled or failed alike.
/// </summary>
public sealed class RecordingUpload(GridFSBucket audio, RecordingsQueries queries, EncounterParties encounter, ILogger logger) : IAsyncDisposable
{
    /// <summary>GridFS chunks inserted together: a few chunks in memory at a time (the driver's default batches 16 MB).</summary>
    private const int ChunksPerBatch = 4;

    private const int CopyBufferBytes = 64 * 1024;

    private GridFSUploadStream? _writing;
    private ObjectId? _fileId;
    private bool _kept;

    public ObjectId RecordingId { get; } = ObjectId.GenerateNewId();

    public EncounterParties Encounter => encounter;

    /// <summary>The audio once it is whole in GridFS.</summary>
    public Stored? Stored { get; private set; }

    /// <summary>Whether a file was begun (an upload holds one).</summary>
    public bool HasFile => _fileId is not null;

    /// <summary>Copies <paramref name="source"/> into the upload's file; null when it is stored whole.</summary>
    public async Task<UploadRefusal?> WriteAsync(Stream source, string mimeType, long maxBytes, CancellationToken cancellationToken)
    {
        if (HasFile)
        {
            throw new InvalidOperationException("An upload holds one file.");
        }

        _writing = await audio.OpenUploadStreamAsync($"{encounter.Id}/{RecordingId}", new GridFSUploadOptions
        {
            BatchSize = ChunksPerBatch,
            Metadata = new BsonDocument
            {
                { "recordingId", RecordingId },
                { "encounterId", encounter.Id.ToString() },
                { "contentType", mimeType },
            },
        }, cancellationToken);
        _fileId = _writing.Id;
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferBytes);
        try
        {
            long length = 0;
            int read;
            while ((read = await source.ReadAsync(buffer.AsMemory(0, CopyBufferBytes), cancellationToken)) > 0)
            {
                length += read;
                if (length > maxBytes)
                {
                    return UploadRefusal.TooLarge;
                }

                await _writing.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }

            if (length == 0)
            {
                return UploadRefusal.Empty;
            }

            await _writing.CloseAsync(cancellationToken);
            _writing.Dispose();
            _writing = null;
            Stored = new Stored(_fileId.Value, length, mimeType);
            return null;
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // The server's own limit (or RequestBodyLimitMiddleware) stopped the body first.
            return UploadRefusal.TooLarge;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The recording now refers to the audio: it stays.</summary>
    public void Keep() => _kept = true;

    /// <summary>The one clean-up path: whatever this upload wrote and did not keep is removed (the sweep takes what this cannot).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_kept || _fileId is not { } fileId)
        {
            return;
        }

        try
        {
            // The request may be cancelled already; the clean-up must still run. Aborting first matters: disposing an
            // upload stream that was neither closed nor aborted would finish it, writing a file document for partial audio.
            if (_writing is not null)
            {
                await _writing.AbortAsync(CancellationToken.None);
            }
        }
        catch (Exception ex) when (ex is MongoException or TimeoutException or InvalidOperationException)
        {
            // (A close that failed half way leaves a stream that refuses to abort: its chunks are deleted below all the same.)
            logger.LogWarning("Could not abort the unfinished upload {FileId} ({Reason}).", fileId, ex.Message);
        }
        finally
        {
            _writing?.Dispose();
        }

        // A failed chunk insert marks the stream aborted without deleting what was written: delete by id in every case.
        await queries.TryDeleteAudioAsync(fileId);
    }
}
