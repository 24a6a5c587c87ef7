using System.Buffers;
using System.Globalization;
using DrAssistant.Api.Auth;
using DrAssistant.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using MongoDB.Bson;
using MongoDB.Driver;
using Microsoft.OpenApi;
using MongoDB.Driver.GridFS;
using Npgsql;

namespace DrAssistant.Api.Notes;

/// <summary>
/// Recorded visits: the audio streamed into GridFS (bucket <c>fs</c>) in chunks as it arrives, never held whole in
/// memory, with a metadata document in <c>voiceRecordings</c>; streamed back with range support; marked transcribed or
/// failed; deleted with their audio. Reading needs <c>read:notes</c>; uploading, changing and deleting <c>write:notes</c>.
/// </summary>
public static class RecordingsApi
{
    /// <summary>GridFS chunks inserted together: a few chunks in memory at a time (the driver's default batches 16 MB).</summary>
    private const int ChunksPerBatch = 4;

    private const int CopyBufferBytes = 64 * 1024;

    /// <summary>A form field beside the audio (duration, device) is short.</summary>
    private const int MaxFieldChars = 1_000;

    public static IEndpointRouteBuilder MapRecordingsApi(this IEndpointRouteBuilder app)
    {
        var limits = app.ServiceProvider.GetRequiredService<IOptions<RecordingOptions>>().Value;
        var encounters = app.MapGroup("/api/encounters").WithTags("Recordings").WithDocumentRefusals();
        encounters.MapPost("/{id:guid}/recordings", UploadRecording).RequireAuthorization(Permissions.WriteNotes)
            // Both Kestrel and RequestBodyLimitMiddleware honour this instead of the 1 MiB default for JSON.
            .WithMetadata(new RequestSizeLimitAttribute(limits.MaxRequestBytes))
            // Streaming up to Recordings:MaxBytes takes as long as the client's network: not the databases' time limit.
            .WithMetadata(new Microsoft.AspNetCore.Http.Timeouts.DisableRequestTimeoutAttribute())
            .WithSummary("Upload a visit's audio: the raw body (Content-Type audio/…) or multipart/form-data with one file; duration in seconds")
            .WithDescription(
                "Raw: `POST …/recordings?duration=312.5` with the audio as the body. Multipart: a `file` part plus optional fields " +
                "`duration`, `deviceInfo`, `quality` (query parameters work too). 413 over Recordings:MaxBytes, 415 for a media type " +
                "outside Recordings:AllowedMimeTypes.")
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                // Documented here rather than with Accepts(...), which routing would enforce with its own 415 before the
                // permission check, and without the configured list.
                operation.RequestBody = AudioRequestBody(limits);
                return Task.CompletedTask;
            })
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        encounters.MapGet("/{id:guid}/recordings", ListRecordings).RequireAuthorization(Permissions.ReadNotes)
            .WithSummary("An encounter's recordings (metadata), newest first, paged").ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        var recordings = app.MapGroup("/api/recordings").WithTags("Recordings").WithDocumentRefusals();
        recordings.MapGet("/{id}", GetRecording).RequireAuthorization(Permissions.ReadNotes)
            .WithSummary("A recording's metadata").ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        recordings.MapGet("/{id}/audio", DownloadAudio).RequireAuthorization(Permissions.ReadNotes)
            .WithMetadata(new Microsoft.AspNetCore.Http.Timeouts.DisableRequestTimeoutAttribute())
            .WithSummary("The audio, streamed with its content type; Range requests get 206 with Content-Range")
            .Produces(StatusCodes.Status200OK, typeof(Stream), "application/octet-stream")
            .Produces(StatusCodes.Status206PartialContent, typeof(Stream), "application/octet-stream")
            .ProducesProblem(StatusCodes.Status416RangeNotSatisfiable)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        recordings.MapPut("/{id}/status", UpdateRecordingStatus).RequireAuthorization(Permissions.WriteNotes)
            .WithSummary("Record the transcription's outcome: transcribed (with the note's id) or error").ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity);
        recordings.MapDelete("/{id}", DeleteRecording).RequireAuthorization(Permissions.WriteNotes)
            .WithSummary("Delete a recording: its metadata and its audio").ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    /// <summary>The upload's body in the OpenAPI document: audio as the raw body, or a form with one file part.</summary>
    private static OpenApiRequestBody AudioRequestBody(RecordingOptions options)
    {
        var binary = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" };
        var content = options.MimeTypes.ToDictionary(type => type, _ => new OpenApiMediaType { Schema = binary });
        content["multipart/form-data"] = new OpenApiMediaType
        {
            Schema = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Required = new HashSet<string> { "file" },
                Properties = new Dictionary<string, IOpenApiSchema>
                {
                    ["file"] = binary,
                    ["duration"] = new OpenApiSchema { Type = JsonSchemaType.Number, Description = "Seconds, more than 0 (or the duration query parameter)." },
                    ["deviceInfo"] = new OpenApiSchema { Type = JsonSchemaType.String },
                    ["quality"] = new OpenApiSchema { Type = JsonSchemaType.String },
                },
            },
        };
        return new OpenApiRequestBody { Required = true, Content = content };
    }

    public static async Task<Results<Created<RecordingResponse>, ValidationProblem, NotFound, Conflict<ProblemDetails>, ProblemHttpResult>> UploadRecording(
        Guid id, double? duration, string? deviceInfo, string? quality, HttpRequest request, NotesStore store, NpgsqlDataSource db,
        IOptions<RecordingOptions> options, TimeProvider time, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var limits = options.Value;
        var fields = new RecordingFields(duration, deviceInfo, quality);
        var multipart = IsMultipart(request.ContentType, out var boundary);
        var validation = ValidateFields(new Validation(), fields, durationRequired: !multipart)
            .When(multipart && boundary is null, "file", "A multipart body needs a boundary of at most 70 characters.");
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        string? mimeType = null;
        if (!multipart && !TryAllowedMimeType(request.ContentType, limits, out mimeType))
        {
            return UnsupportedMediaType(request.ContentType, limits);
        }

        // A body announced too large is refused before a byte of it is stored.
        if (!multipart && request.ContentLength > limits.MaxBytes)
        {
            return TooLarge(limits);
        }

        if (!store.IsConfigured)
        {
            return NotesStore.NotConfigured();
        }

        var encounter = await NotesApi.FindEncounterAsync(db, id, cancellationToken);
        if (encounter is null)
        {
            return TypedResults.NotFound();
        }

        if (encounter.Status == "cancelled")
        {
            return Problems.WrongStatus("encounter", encounter.Status, "recorded");
        }

        var logger = loggers.CreateLogger(typeof(RecordingsApi).FullName!);
        var recordingId = ObjectId.GenerateNewId();
        var fileMetadata = new BsonDocument
        {
            { "recordingId", recordingId },
            { "encounterId", encounter.Id.ToString() },
        };

        Stored? stored = null;
        try
        {
            if (multipart)
            {
                var reader = new MultipartReader(boundary!, request.Body) { BodyLengthLimit = null };
                while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
                {
                    var disposition = section.GetContentDispositionHeader();
                    if (disposition is null)
                    {
                        continue;
                    }

                    if (disposition.IsFileDisposition())
                    {
                        if (stored is not null)
                        {
                            await DeleteAudioAsync(store, stored.FileId, logger);
                            return Problems.Invalid("file", "Send one recording per request.");
                        }

                        if (!TryAllowedMimeType(section.ContentType, limits, out mimeType))
                        {
                            return UnsupportedMediaType(section.ContentType, limits);
                        }

                        var upload = await StreamAsync(store, section.Body, $"{encounter.Id}/{recordingId}", fileMetadata, mimeType, limits.MaxBytes, logger, cancellationToken);
                        if (upload.Refusal is { } refusal)
                        {
                            return refusal == StatusCodes.Status413PayloadTooLarge ? TooLarge(limits) : Problems.Invalid("file", "The recording is empty.");
                        }

                        stored = upload.Stored;
                    }
                    else if (disposition.IsFormDisposition())
                    {
                        var value = await ReadFieldAsync(section.Body, cancellationToken);
                        if (!fields.TryAdd(HeaderUtilities.RemoveQuotes(disposition.Name).Value, value))
                        {
                            validation.Add(HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? "field", "The field is too long or not a number.");
                        }
                    }
                }

                ValidateFields(validation, fields, durationRequired: true).When(stored is null, "file", "A file part with the recording is required.");
                if (!validation.IsValid)
                {
                    if (stored is not null)
                    {
                        await DeleteAudioAsync(store, stored.FileId, logger);
                    }

                    return TypedResults.ValidationProblem(validation.Errors);
                }
            }
            else
            {
                var upload = await StreamAsync(store, request.Body, $"{encounter.Id}/{recordingId}", fileMetadata, mimeType!, limits.MaxBytes, logger, cancellationToken);
                if (upload.Refusal is { } refusal)
                {
                    return refusal == StatusCodes.Status413PayloadTooLarge ? TooLarge(limits) : Problems.Invalid("body", "The recording is empty.");
                }

                stored = upload.Stored;
            }
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException)
        {
            // A malformed multipart body or a client that went away: whatever was stored is gone already (see StreamAsync).
            if (stored is not null)
            {
                await DeleteAudioAsync(store, stored.FileId, logger);
            }

            return Problems.Invalid("file", $"The upload could not be read: {ex.Message}");
        }

        var recording = NewRecording(recordingId, encounter, stored!, fields, limits, NoteRules.Now(time));
        try
        {
            await store.Recordings.InsertOneAsync(recording, cancellationToken: cancellationToken);
        }
        catch
        {
            // Audio without its metadata would only wait for the sweep; remove it now.
            await DeleteAudioAsync(store, stored!.FileId, logger);
            throw;
        }

        return TypedResults.Created($"/api/recordings/{recording.Id}", RecordingResponse.From(recording));
    }

    public static async Task<Results<Ok<PagedList<RecordingResponse>>, ValidationProblem, ProblemHttpResult>> ListRecordings(
        Guid id, int? page, int? pageSize, NotesStore store, CancellationToken cancellationToken)
    {
        var validation = new Validation();
        var paging = PageRequest.From(page, pageSize, validation);
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        if (!store.IsConfigured)
        {
            return NotesStore.NotConfigured();
        }

        var recordings = await store.Recordings.Find(r => r.EncounterId == id)
            .Sort(Builders<VoiceRecording>.Sort.Descending(r => r.CreatedAt).Descending(r => r.Id))
            .Skip(paging.Offset).Limit(paging.Limit)
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(paging.ToPage(recordings.Select(RecordingResponse.From)));
    }

    public static async Task<Results<Ok<RecordingResponse>, NotFound, ProblemHttpResult>> GetRecording(
        string id, NotesStore store, CancellationToken cancellationToken)
    {
        if (!ObjectId.TryParse(id, out var recordingId))
        {
            return TypedResults.NotFound();
        }

        if (!store.IsConfigured)
        {
            return NotesStore.NotConfigured();
        }

        var recording = await FindAsync(store, recordingId, cancellationToken);
        return recording is null ? TypedResults.NotFound() : TypedResults.Ok(RecordingResponse.From(recording));
    }

    public static async Task<Results<AudioResult, NotFound, ProblemHttpResult>> DownloadAudio(
        string id, HttpRequest request, NotesStore store, CancellationToken cancellationToken)
    {
        if (!ObjectId.TryParse(id, out var recordingId))
        {
            return TypedResults.NotFound();
        }

        if (!store.IsConfigured)
        {
            return NotesStore.NotConfigured();
        }

        var recording = await FindAsync(store, recordingId, cancellationToken);
        if (recording is null)
        {
            return TypedResults.NotFound();
        }

        GridFSDownloadStream audio;
        try
        {
            // Seekable: a range is read from the chunk it starts in, not from the beginning.
            audio = await store.Audio.OpenDownloadStreamAsync(recording.FileId, new GridFSDownloadOptions { Seekable = true }, cancellationToken);
        }
        catch (GridFSFileNotFoundException)
        {
            return TypedResults.NotFound();
        }

        // The file never changes once stored, so its id is a strong validator.
        var entityTag = $"\"{recording.FileId}\"";
        var (outcome, range) = ByteRanges.Evaluate(request.Headers.Range, audio.Length, request.Headers.IfRange, entityTag);
        if (outcome == RangeOutcome.Unsatisfiable)
        {
            await audio.DisposeAsync();
            request.HttpContext.Response.Headers.ContentRange = $"bytes */{audio.Length}";
            return TypedResults.Problem(
                title: "Range not satisfiable",
                detail: $"The recording has {audio.Length} bytes.",
                statusCode: StatusCodes.Status416RangeNotSatisfiable);
        }

        return new AudioResult(audio, recording.MimeType, entityTag, outcome == RangeOutcome.Partial ? range : null);
    }

    public static async Task<Results<Ok<RecordingResponse>, NotFound, ValidationProblem, Conflict<ProblemDetails>, ProblemHttpResult>> UpdateRecordingStatus(
        string id, UpdateRecordingStatusRequest request, NotesStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!ObjectId.TryParse(id, out var recordingId))
        {
            return TypedResults.NotFound();
        }

        RecordingStatus? status = request.Status switch
        {
            "transcribed" => RecordingStatus.Transcribed,
            "error" => RecordingStatus.Error,
            _ => null,
        };
        ObjectId transcriptionId = default;
        var validation = new Validation()
            .OneOf("status", request.Status, [NoteRules.Word(RecordingStatus.Transcribed), NoteRules.Word(RecordingStatus.Error)])
            .When(status == RecordingStatus.Transcribed && !ObjectId.TryParse(request.TranscriptionId, out transcriptionId),
                "transcriptionId", "transcriptionId is required: the id of the note made from the recording.")
            .When(status == RecordingStatus.Error && request.TranscriptionId is not null, "transcriptionId", "A failed transcription has no note.")
            .When(request.ProcessingStats?.TranscriptionTime < 0, "processingStats.transcriptionTime", "transcriptionTime must not be negative.")
            .When(request.ProcessingStats?.WordCount < 0, "processingStats.wordCount", "wordCount must not be negative.")
            .When(request.ProcessingStats?.Confidence is < 0 or > 1, "processingStats.confidence", "confidence must be between 0 and 1.");
        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        if (!store.IsConfigured)
        {
            return NotesStore.NotConfigured();
        }

        var current = await FindAsync(store, recordingId, cancellationToken);
        if (current is null)
        {
            return TypedResults.NotFound();
        }

        if (status == RecordingStatus.Transcribed
            && await store.Notes.CountDocumentsAsync(n => n.Id == transcriptionId && n.EncounterId == current.EncounterId, cancellationToken: cancellationToken) == 0)
        {
            return Problems.Invalid("transcriptionId", "No note of this recording's encounter has this id.");
        }

        var update = Builders<VoiceRecording>.Update;
        var changes = update.Combine(
            update.Set(r => r.Status, status!.Value),
            update.Set(r => r.UpdatedAt, NoteRules.Now(time)),
            status == RecordingStatus.Transcribed ? update.Set(r => r.TranscriptionId, transcriptionId) : update.Unset(r => r.TranscriptionId),
            request.ProcessingStats is null ? update.Unset(r => r.Metadata!.ProcessingStats) : update.Set(r => r.Metadata!.ProcessingStats, request.ProcessingStats));
        // A transcribed recording is done; a failed one may be retried (processing → error → transcribed).
        var updated = await store.Recordings.FindOneAndUpdateAsync(
            Builders<VoiceRecording>.Filter.Eq(r => r.Id, recordingId)
                & Builders<VoiceRecording>.Filter.In(r => r.Status, [RecordingStatus.Processing, RecordingStatus.Error]),
            changes,
            new FindOneAndUpdateOptions<VoiceRecording> { ReturnDocument = ReturnDocument.After },
            cancellationToken);
        if (updated is not null)
        {
            return TypedResults.Ok(RecordingResponse.From(updated));
        }

        var now = await FindAsync(store, recordingId, cancellationToken);
        return now is null ? TypedResults.NotFound() : Problems.WrongStatus("recording", NoteRules.Word(now.Status), $"marked {request.Status}");
    }

    /// <summary>Metadata first, then the audio: if the second step fails, the sweep finds the audio without a recording.</summary>
    public static async Task<Results<NoContent, NotFound, ProblemHttpResult>> DeleteRecording(
        string id, NotesStore store, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (!ObjectId.TryParse(id, out var recordingId))
        {
            return TypedResults.NotFound();
        }

        if (!store.IsConfigured)
        {
            return NotesStore.NotConfigured();
        }

        var deleted = await store.Recordings.FindOneAndDeleteAsync(r => r.Id == recordingId, cancellationToken: cancellationToken);
        if (deleted is null)
        {
            return TypedResults.NotFound();
        }

        await DeleteAudioAsync(store, deleted.FileId, loggers.CreateLogger(typeof(RecordingsApi).FullName!));
        return TypedResults.NoContent();
    }

    /// <summary>The metadata document of a stored upload, with its retention date.</summary>
    public static VoiceRecording NewRecording(ObjectId id, EncounterParties encounter, Stored stored, RecordingFields fields, RecordingOptions options, DateTime now) => new()
    {
        Id = id,
        EncounterId = encounter.Id,
        PatientId = encounter.PatientId,
        DoctorId = encounter.DoctorId,
        Duration = fields.Duration!.Value,
        FileSize = stored.Length,
        MimeType = stored.MimeType,
        Status = RecordingStatus.Processing,
        Metadata = fields.DeviceInfo is null && fields.Quality is null ? null : new RecordingMetadata { DeviceInfo = fields.DeviceInfo, Quality = fields.Quality },
        RetentionPolicy = new RetentionPolicy { ExpiresAt = now + options.Retention, RetentionReason = options.RetentionReason },
        FileId = stored.FileId,
        CreatedAt = now,
        UpdatedAt = now,
    };

    public static Validation ValidateFields(Validation validation, RecordingFields fields, bool durationRequired) => validation
        .When(durationRequired && fields.Duration is null, "duration", "duration is required: the recording's length in seconds.")
        .When(fields.Duration is <= 0 or > 86_400 || fields.Duration is double d && !double.IsFinite(d), "duration", "duration must be more than 0 and at most 86400 seconds.")
        .MaxLength("deviceInfo", fields.DeviceInfo, 200)
        .MaxLength("quality", fields.Quality, 50);

    /// <summary>
    /// Whether the media type is allowed, and as stored: lower case, without parameters (<c>audio/webm;codecs=opus</c> is
    /// <c>audio/webm</c>).
    /// </summary>
    public static bool TryAllowedMimeType(string? contentType, RecordingOptions options, out string mimeType)
    {
        mimeType = string.Empty;
        if (!MediaTypeHeaderValue.TryParse(contentType, out var parsed) || parsed.MediaType.Value is not { } type)
        {
            return false;
        }

        mimeType = type.ToLowerInvariant();
        var candidate = mimeType;
        return options.MimeTypes.Any(allowed => string.Equals(allowed, candidate, StringComparison.OrdinalIgnoreCase));
    }

    public static bool IsMultipart(string? contentType, out string? boundary)
    {
        boundary = null;
        if (!MediaTypeHeaderValue.TryParse(contentType, out var parsed)
            || !string.Equals(parsed.MediaType.Value, "multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var value = HeaderUtilities.RemoveQuotes(parsed.Boundary).Value;
        // RFC 2046: 1 to 70 characters.
        boundary = string.IsNullOrEmpty(value) || value.Length > 70 ? null : value;
        return true;
    }

    /// <summary>
    /// Copies <paramref name="source"/> into a new GridFS file, a buffer at a time, counting bytes as they come (a
    /// client's Content-Length may lie or be absent). Over the limit, empty, or failed: the partial file is deleted.
    /// </summary>
    private static async Task<(Stored? Stored, int? Refusal)> StreamAsync(
        NotesStore store, Stream source, string filename, BsonDocument metadata, string mimeType, long maxBytes, ILogger logger, CancellationToken cancellationToken)
    {
        var upload = await store.Audio.OpenUploadStreamAsync(filename, new GridFSUploadOptions
        {
            BatchSize = ChunksPerBatch,
            Metadata = new BsonDocument(metadata) { { "contentType", mimeType } },
        }, cancellationToken);
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferBytes);
        var finished = false;
        try
        {
            long length = 0;
            int read;
            while ((read = await source.ReadAsync(buffer.AsMemory(0, CopyBufferBytes), cancellationToken)) > 0)
            {
                length += read;
                if (length > maxBytes)
                {
                    return (null, StatusCodes.Status413PayloadTooLarge);
                }

                await upload.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }

            if (length == 0)
            {
                return (null, StatusCodes.Status400BadRequest);
            }

            await upload.CloseAsync(cancellationToken);
            finished = true;
            return (new Stored(upload.Id, length, mimeType), null);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // The server's own limit (or RequestBodyLimitMiddleware) stopped the body first.
            return (null, StatusCodes.Status413PayloadTooLarge);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            if (!finished)
            {
                await AbortAsync(store, upload, logger);
            }
        }
    }

    /// <summary>
    /// Deletes an unfinished upload's chunks. Aborting first matters: disposing an upload stream that was neither
    /// closed nor aborted would finish it, writing a file document for the partial audio.
    /// </summary>
    private static async Task AbortAsync(NotesStore store, GridFSUploadStream upload, ILogger logger)
    {
        try
        {
            // The request may be cancelled already; the clean-up must still run.
            await upload.AbortAsync(CancellationToken.None);
            // A failed chunk insert marks the stream aborted without deleting what was written: delete by id anyway.
            await store.AudioChunks.DeleteManyAsync(Builders<BsonDocument>.Filter.Eq("files_id", upload.Id), CancellationToken.None);
        }
        catch (Exception ex) when (ex is MongoException or TimeoutException)
        {
            logger.LogWarning("Could not delete the chunks of an unfinished upload {FileId} ({Reason}); the sweep will.", upload.Id, ex.Message);
        }
        finally
        {
            upload.Dispose();
        }
    }

    private static async Task DeleteAudioAsync(NotesStore store, ObjectId fileId, ILogger logger)
    {
        try
        {
            // Not the driver's GridFS delete: ours removes chunk 0 last, so a delete cut short leaves what the sweep finds.
            await store.DeleteAudioAsync([fileId], CancellationToken.None);
        }
        catch (Exception ex) when (ex is MongoException or TimeoutException)
        {
            logger.LogWarning("Could not delete audio {FileId} ({Reason}); the sweep will.", fileId, ex.Message);
        }
    }

    /// <summary>A short form field, or null when it is longer than any field here needs.</summary>
    private static async Task<string?> ReadFieldAsync(Stream body, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(body, leaveOpen: true);
        var buffer = new char[MaxFieldChars + 1];
        var total = 0;
        int read;
        while (total < buffer.Length && (read = await reader.ReadAsync(buffer.AsMemory(total), cancellationToken)) > 0)
        {
            total += read;
        }

        return total > MaxFieldChars ? null : new string(buffer, 0, total);
    }

    private static Task<VoiceRecording?> FindAsync(NotesStore store, ObjectId id, CancellationToken cancellationToken) =>
        store.Recordings.Find(r => r.Id == id).FirstOrDefaultAsync(cancellationToken)!;

    private static ProblemHttpResult UnsupportedMediaType(string? contentType, RecordingOptions options) => TypedResults.Problem(
        title: "Unsupported media type",
        detail: $"'{contentType ?? "(none)"}' is not an accepted recording type; send one of: {string.Join(", ", options.MimeTypes)}.",
        statusCode: StatusCodes.Status415UnsupportedMediaType);

    private static ProblemHttpResult TooLarge(RecordingOptions options) => TypedResults.Problem(
        title: "Payload too large",
        detail: $"A recording is at most {options.MaxBytes} bytes (Recordings:MaxBytes).",
        statusCode: StatusCodes.Status413PayloadTooLarge);
}

/// <summary>An upload safely in GridFS.</summary>
public sealed record Stored(ObjectId FileId, long Length, string MimeType);

/// <summary>The fields that come with the audio, from the query string or the multipart form.</summary>
public sealed class RecordingFields(double? duration, string? deviceInfo, string? quality)
{
    public double? Duration { get; private set; } = duration;

    public string? DeviceInfo { get; private set; } = deviceInfo;

    public string? Quality { get; private set; } = quality;

    /// <summary>Takes a form field (unknown names are ignored); false when its value is unusable.</summary>
    public bool TryAdd(string? name, string? value)
    {
        if (value is null)
        {
            return false;
        }

        switch (name)
        {
            case "duration":
                if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
                {
                    return false;
                }

                Duration = seconds;
                return true;
            case "deviceInfo":
                DeviceInfo = value;
                return true;
            case "quality":
                Quality = value;
                return true;
            default:
                return true;
        }
    }
}

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
