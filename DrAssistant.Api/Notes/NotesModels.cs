using DrAssistant.Api.Infrastructure;

namespace DrAssistant.Api.Notes;

/// <summary>A draft note for an encounter; patient and doctor are the encounter's.</summary>
public sealed record CreateNoteRequest(
    Guid? EncounterId,
    string? NoteType = null,
    NoteContent? Content = null,
    string? RawTranscription = null,
    string? AiSummary = null,
    double? AiConfidenceScore = null,
    string? TemplateUsed = null,
    double? CompletionTime = null,
    bool? AiAssisted = null,
    string[]? Tags = null) : IRequestCheck
{
    public void Check(Validation validation) => NotesRules.ValidateCreate(this, validation);
}

/// <summary>
/// Replaces a draft's editable fields (what is absent is removed, like any PUT); <c>changes</c> describes the edit in the
/// history. Sent with <c>If-Match</c>: the ETag of the version it edits.
/// </summary>
public sealed record UpdateNoteRequest(
    string? NoteType,
    NoteContent? Content = null,
    string? RawTranscription = null,
    string? AiSummary = null,
    double? AiConfidenceScore = null,
    string? TemplateUsed = null,
    double? CompletionTime = null,
    bool? AiAssisted = null,
    string[]? Tags = null,
    string? Changes = null) : IRequestCheck
{
    public void Check(Validation validation) => NotesRules.ValidateUpdate(this, validation);
}

/// <summary>New content for a signed note, and why; the signed content is kept in the edit history.</summary>
public sealed record AmendNoteRequest(NoteContent? Content, string? Reason) : IRequestCheck
{
    public void Check(Validation validation) => NotesRules.ValidateAmend(this, validation);
}

/// <summary>A note as the API returns it. <c>version</c> is the ETag's value: send it back in <c>If-Match</c> to change the note.</summary>
public sealed record NoteResponse(
    string Id,
    Guid EncounterId,
    Guid PatientId,
    Guid DoctorId,
    string Status,
    string NoteType,
    NoteContent? Content,
    string? RawTranscription,
    string? AiSummary,
    double? AiConfidenceScore,
    Guid? SignedBy,
    DateTime? SignedAt,
    NoteMetadata? Metadata,
    IReadOnlyList<string> Tags,
    IReadOnlyList<string> Attachments,
    DateTime CreatedAt,
    DateTime UpdatedAt,
    int Version)
{
    public static NoteResponse From(ClinicalNote note) => new(
        note.Id.ToString(), note.EncounterId, note.PatientId, note.DoctorId, NotesRules.Word(note.Status), NotesRules.Word(note.NoteType),
        note.Content, note.RawTranscription, note.AiSummary, note.AiConfidenceScore, note.SignedBy, note.SignedAt, note.Metadata,
        note.Tags, [.. note.Attachments.Select(a => a.ToString())], note.CreatedAt, note.UpdatedAt, NotesRules.Version(note));
}

/// <summary>A note in a list: what identifies it and its headline, not the whole content.</summary>
public sealed record NoteSummary(
    string Id,
    Guid EncounterId,
    Guid PatientId,
    Guid DoctorId,
    string Status,
    string NoteType,
    string? ChiefComplaint,
    string? ClinicalImpression,
    Guid? SignedBy,
    DateTime? SignedAt,
    DateTime CreatedAt,
    DateTime UpdatedAt,
    int Version)
{
    public static NoteSummary From(ClinicalNote note) => new(
        note.Id.ToString(), note.EncounterId, note.PatientId, note.DoctorId, NotesRules.Word(note.Status), NotesRules.Word(note.NoteType),
        note.Content?.Subjective?.ChiefComplaint, note.Content?.Assessment?.ClinicalImpression, note.SignedBy, note.SignedAt,
        note.CreatedAt, note.UpdatedAt, NotesRules.Version(note));
}

/// <summary>A search result: the note and its relevance (MongoDB's text score; higher is better).</summary>
public sealed record NoteSearchHit(NoteSummary Note, double Score);

/// <summary>The encounter a note or recording belongs to, as PostgreSQL has it.</summary>
public sealed record EncounterParties(Guid Id, Guid PatientId, Guid DoctorId, string Status)
{
    /// <summary>A cancelled encounter takes no note and no recording (the status word is the encounters' vocabulary).</summary>
    public bool IsCancelled => Status == Encounters.EncountersRules.Cancelled;
}
