using DrAssistant.Api.Auth;
using DrAssistant.Api.Infrastructure;
using DrAssistant.Api.Notes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Microsoft.OpenApi;
using UploadResult = Microsoft.AspNetCore.Http.HttpResults.Results<
    Microsoft.AspNetCore.Http.HttpResults.Created<DrAssistant.Api.Recordings.RecordingResponse>,
    Microsoft.AspNetCore.Http.HttpResults.ValidationProblem,
    Microsoft.AspNetCore.Http.HttpResults.NotFound,
    Microsoft.AspNetCore.Http.HttpResults.Conflict<Microsoft.AspNetCore.Mvc.ProblemDetails>,
    Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult>;

namespace DrAssistant.Api.Recordings;

/// <summary>
/// Recorded visits: the audio streamed into GridFS (bucket <c>fs</c>) in chunks as it arrives, never held whole in
/// memory, with a metadata document in <c>voiceRecordings</c>; streamed back with range support; marked transcribed or
/// failed; deleted with their audio. Reading needs <c>read:notes</c>; uploading, changing and deleting <c>write:notes</c>.
/// The route groups' preamble (<see cref="NotesEndpoints"/>) has checked ids and bodies before a handler runs.
/// </summary>
public static class RecordingsApi
{
    /// <summary>A form field beside the audio (duration, device) is short.</summary>
    private const int MaxFieldChars = 1_000;

    public static IEndpointRouteBuilder MapRecordingsApi(this IEndpointRouteBuilder app)
    {
        var limits = app.ServiceProvider.GetRequiredService<IOptions<RecordingOptions>>().Value;
        var encounters = app.MapGroup("/api/encounters").WithTags("Recordings").WithNotesPreamble();
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

        var recordings = app.MapGroup("/api/recordings").WithTags("Recordings").WithNotesPreamble();
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

    public static async Task<UploadResult> UploadRecording(
        Guid id, double? duration, string? deviceInfo, string? quality, HttpRequest request, NotesQueries notes, RecordingsQueries recordings,
        IOptions<RecordingOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        var limits = options.Value;
        var fields = new RecordingFields(duration, deviceInfo, quality);
        if (Admit(request, fields, limits, out var boundary, out var mimeType) is { } refused)
        {
            return refused.Answer();
        }

        var encounter = await notes.FindEncounterAsync(id, cancellationToken);
        if (encounter is null)
        {
            return TypedResults.NotFound();
        }

        if (encounter.IsCancelled)
        {
            return Problems.WrongStatus("encounter", encounter.Status, "recorded");
        }

        // Every way out before Keep() removes what the upload wrote.
        await using var upload = recordings.BeginUpload(encounter);
        var refusal = boundary is not null
            ? await ReadFormAsync(upload, request.Body, boundary, fields, limits, cancellationToken)
            : await ReadBodyAsync(upload, request.Body, mimeType!, limits, cancellationToken);
        if (refusal is not null)
        {
            return refusal.Answer();
        }

        var recording = RecordingsRules.NewRecording(upload.RecordingId, encounter, upload.Stored!, fields, limits, NotesRules.Now(time));
        await recordings.InsertAsync(recording, cancellationToken);
        upload.Keep();
        return TypedResults.Created($"/api/recordings/{recording.Id}", RecordingResponse.From(recording));
    }

    public static async Task<Results<Ok<PagedList<RecordingResponse>>, ValidationProblem, ProblemHttpResult>> ListRecordings(
        Guid id, int? page, int? pageSize, RecordingsQueries recordings, CancellationToken cancellationToken)
    {
        var validation = new Validation();
        var paging = PageRequest.From(page, pageSize, validation);
        return validation.IsValid
            ? TypedResults.Ok(await recordings.EncounterRecordingsAsync(id, paging, cancellationToken))
            : TypedResults.ValidationProblem(validation.Errors);
    }

    public static async Task<Results<Ok<RecordingResponse>, NotFound, ProblemHttpResult>> GetRecording(
        DocumentId id, RecordingsQueries recordings, CancellationToken cancellationToken) =>
        await recordings.FindAsync(id.Value, cancellationToken) is { } recording ? TypedResults.Ok(RecordingResponse.From(recording)) : TypedResults.NotFound();

    public static async Task<Results<AudioResult, NotFound, ProblemHttpResult>> DownloadAudio(
        DocumentId id, HttpRequest request, RecordingsQueries recordings, CancellationToken cancellationToken)
    {
        var recording = await recordings.FindAsync(id.Value, cancellationToken);
        if (recording is null || await recordings.OpenAudioAsync(recording.FileId, cancellationToken) is not { } audio)
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
        DocumentId id, UpdateRecordingStatusRequest request, RecordingsQueries recordings, NotesQueries notes, TimeProvider time, CancellationToken cancellationToken)
    {
        var (status, transcriptionId) = RecordingsRules.ParseStatus(request);
        var current = await recordings.FindAsync(id.Value, cancellationToken);
        if (current is null)
        {
            return TypedResults.NotFound();
        }

        if (status == RecordingStatus.Transcribed && !await notes.EncounterHasNoteAsync(transcriptionId!.Value, current.EncounterId, cancellationToken))
        {
            return Problems.Invalid("transcriptionId", "No note of this recording's encounter has this id.");
        }

        var (written, now) = await recordings.SetStatusAsync(
            id.Value, status!.Value, status == RecordingStatus.Transcribed ? transcriptionId : null, request.ProcessingStats, NotesRules.Now(time), cancellationToken);
        return (written, now) switch
        {
            ({ } recording, _) => TypedResults.Ok(RecordingResponse.From(recording)),
            (_, { } recording) => Problems.WrongStatus("recording", NotesRules.Word(recording.Status), $"marked {request.Status}"),
            _ => TypedResults.NotFound(),
        };
    }

    public static async Task<Results<NoContent, NotFound, ProblemHttpResult>> DeleteRecording(
        DocumentId id, RecordingsQueries recordings, CancellationToken cancellationToken) =>
        await recordings.DeleteAsync(id.Value, cancellationToken) ? TypedResults.NoContent() : TypedResults.NotFound();

    /// <summary>
    /// What the request says before a byte of it is read: its fields; for a raw body its media type and its announced
    /// size (too large is refused before anything is stored). A multipart body has its <paramref name="boundary"/>.
    /// </summary>
    private static Refusal? Admit(HttpRequest request, RecordingFields fields, RecordingOptions limits, out string? boundary, out string? mimeType)
    {
        mimeType = null;
        var multipart = RecordingsRules.IsMultipart(request.ContentType, out boundary);
        var validation = RecordingsRules.ValidateFields(new Validation(), fields, durationRequired: !multipart)
            .When(multipart && boundary is null, "file", "A multipart body needs a boundary of at most 70 characters.");
        if (!validation.IsValid)
        {
            return new Refusal(TypedResults.ValidationProblem(validation.Errors));
        }

        if (multipart)
        {
            return null;
        }

        if (!RecordingsRules.TryAllowedMimeType(request.ContentType, limits, out var type))
        {
            return new Refusal(Problem: UnsupportedMediaType(request.ContentType, limits));
        }

        mimeType = type;
        return request.ContentLength > limits.MaxBytes ? new Refusal(Problem: TooLarge(limits)) : null;
    }

    /// <summary>The raw body is the audio.</summary>
    private static async Task<Refusal?> ReadBodyAsync(RecordingUpload upload, Stream body, string mimeType, RecordingOptions limits, CancellationToken cancellationToken)
    {
        try
        {
            return Refused(await upload.WriteAsync(body, mimeType, limits.MaxBytes, cancellationToken), "body", limits);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException)
        {
            return Unreadable(ex);
        }
    }

    /// <summary>A multipart form: one file part with the audio, and the fields beside it.</summary>
    private static async Task<Refusal?> ReadFormAsync(
        RecordingUpload upload, Stream body, string boundary, RecordingFields fields, RecordingOptions limits, CancellationToken cancellationToken)
    {
        var validation = new Validation();
        try
        {
            var reader = new MultipartReader(boundary, body) { BodyLengthLimit = null };
            while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
            {
                var disposition = section.GetContentDispositionHeader();
                if (disposition is null)
                {
                    continue;
                }

                if (disposition.IsFileDisposition())
                {
                    if (upload.HasFile)
                    {
                        return new Refusal(Problems.Invalid("file", "Send one recording per request."));
                    }

                    if (!RecordingsRules.TryAllowedMimeType(section.ContentType, limits, out var mimeType))
                    {
                        return new Refusal(Problem: UnsupportedMediaType(section.ContentType, limits));
                    }

                    if (Refused(await upload.WriteAsync(section.Body, mimeType, limits.MaxBytes, cancellationToken), "file", limits) is { } refused)
                    {
                        return refused;
                    }
                }
                else if (disposition.IsFormDisposition())
                {
                    var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value;
                    if (!fields.TryAdd(name, await ReadFieldAsync(section.Body, cancellationToken)))
                    {
                        validation.Add(name ?? "field", "The field is too long or not a number.");
                    }
                }
            }
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException)
        {
            return Unreadable(ex);
        }

        RecordingsRules.ValidateFields(validation, fields, durationRequired: true).When(upload.Stored is null, "file", "A file part with the recording is required.");
        return validation.IsValid ? null : new Refusal(TypedResults.ValidationProblem(validation.Errors));
    }

    /// <summary>A malformed multipart body or a client that went away.</summary>
    private static Refusal Unreadable(Exception ex) => new(Problems.Invalid("file", $"The upload could not be read: {ex.Message}"));

    private static Refusal? Refused(UploadRefusal? refusal, string field, RecordingOptions limits) => refusal switch
    {
        UploadRefusal.TooLarge => new Refusal(Problem: TooLarge(limits)),
        UploadRefusal.Empty => new Refusal(Problems.Invalid(field, "The recording is empty.")),
        _ => null,
    };

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

    private static ProblemHttpResult UnsupportedMediaType(string? contentType, RecordingOptions options) => TypedResults.Problem(
        title: "Unsupported media type",
        detail: $"'{contentType ?? "(none)"}' is not an accepted recording type; send one of: {string.Join(", ", options.MimeTypes)}.",
        statusCode: StatusCodes.Status415UnsupportedMediaType);

    private static ProblemHttpResult TooLarge(RecordingOptions options) => TypedResults.Problem(
        title: "Payload too large",
        detail: $"A recording is at most {options.MaxBytes} bytes (Recordings:MaxBytes).",
        statusCode: StatusCodes.Status413PayloadTooLarge);

    /// <summary>Why an upload was refused: a field's mistake (422) or a refusal of its own status (413, 415).</summary>
    private sealed record Refusal(ValidationProblem? Invalid = null, ProblemHttpResult? Problem = null)
    {
        public UploadResult Answer() => Invalid is { } invalid ? invalid : Problem!;
    }
}
