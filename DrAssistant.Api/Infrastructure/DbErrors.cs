using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace DrAssistant.Api.Infrastructure;

/// <summary>
/// The database's refusals as the client's mistakes: a unique or exclusion constraint is a 409 naming the field, a
/// foreign key to a missing row or a broken CHECK is a 400 naming the field, a value PostgreSQL cannot take (class 22)
/// is a 400. Only a server that cannot be reached or does not answer in time is a 503. Constraint names are the
/// schema's (see the migrations).
/// </summary>
public static class DbErrors
{
    private static readonly Dictionary<string, (string Field, string Message)> UniqueConstraints = new(StringComparer.Ordinal)
    {
        ["users_username_key"] = ("username", "A user with this username already exists."),
        ["users_email_key"] = ("email", "A user with this email already exists."),
        // Schema version 4: logins and emails are one ignoring case (Dr.Rao is dr.rao).
        ["idx_users_username_ci"] = ("username", "A user with this username (ignoring case) already exists."),
        ["idx_users_email_ci"] = ("email", "A user with this email (ignoring case) already exists."),
        ["patients_mrn_key"] = ("mrn", "A patient with this MRN already exists."),
        ["patients_abha_id_key"] = ("abhaId", "A patient with this ABHA id already exists."),
        // Schema version 4: a doctor is never in two live appointments at once (23P01).
        ["no_overlapping_appointments"] = ("startTime", SlotTakenMessage),
    };

    public const string SlotTakenMessage = "The doctor already has an appointment in that time.";

    private static readonly Dictionary<string, string> ForeignKeyFields = new(StringComparer.Ordinal)
    {
        ["fk_appointments_doctor"] = "doctorId",
        ["fk_appointments_patient"] = "patientId",
        ["fk_appointments_created_by"] = "createdBy",
        ["fk_encounters_appointment"] = "appointmentId",
        ["fk_encounters_doctor"] = "doctorId",
        ["fk_encounters_patient"] = "patientId",
        ["fk_prescriptions_encounter"] = "encounterId",
        ["fk_prescriptions_patient"] = "patientId",
        ["fk_prescriptions_doctor"] = "doctorId",
        ["fk_prescription_items_prescription"] = "prescriptionId",
        ["fk_orders_encounter"] = "encounterId",
        ["fk_orders_patient"] = "patientId",
        ["fk_orders_doctor"] = "doctorId",
        ["fk_order_items_order"] = "orderId",
        ["fk_tasks_assigned_to"] = "assignedTo",
        ["fk_tasks_created_by"] = "createdBy",
        ["fk_tasks_patient"] = "patientId",
        ["fk_tasks_encounter"] = "encounterId",
        ["fk_alerts_user"] = "userId",
        ["fk_alerts_patient"] = "patientId",
        ["fk_alerts_created_by"] = "createdBy",
    };

    private static readonly Dictionary<string, string> CheckFields = new(StringComparer.Ordinal)
    {
        ["valid_role"] = "role",
        ["valid_gender"] = "gender",
        ["valid_time_range"] = "endTime",
        ["valid_date_range"] = "validUntil",
        ["valid_priority"] = "priority",
        ["valid_severity"] = "severity",
        ["valid_status"] = "status",
        ["valid_type"] = "type",
    };

    /// <summary>A unique or exclusion constraint: somebody else holds the value (or the slot).</summary>
    public static bool IsConflict(PostgresException ex) =>
        ex.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.ExclusionViolation;

    public static bool IsInvalid(PostgresException ex) => ex.SqlState is PostgresErrorCodes.ForeignKeyViolation
        or PostgresErrorCodes.CheckViolation or PostgresErrorCodes.StringDataRightTruncation or PostgresErrorCodes.NotNullViolation;

    /// <summary>Class 22 (data exception) and class 23 (integrity constraint violation): the request's data, not an outage.</summary>
    public static bool IsRequestError(PostgresException ex) => ex.SqlState.StartsWith("22", StringComparison.Ordinal) || ex.SqlState.StartsWith("23", StringComparison.Ordinal);

    /// <summary>
    /// Errors that say the server cannot serve now (timeouts, shutdown, no connection slots or memory, lost connection):
    /// the client may retry. Anything else from the server is a defect of ours (500), never dressed up as an outage.
    /// </summary>
    public static bool IsUnavailable(PostgresException ex) =>
        ex.SqlState is PostgresErrorCodes.QueryCanceled or PostgresErrorCodes.LockNotAvailable
        || ex.SqlState.StartsWith("08", StringComparison.Ordinal) // connection exception
        || ex.SqlState.StartsWith("53", StringComparison.Ordinal) // insufficient resources
        || ex.SqlState.StartsWith("57P", StringComparison.Ordinal); // shutting down, cannot connect now

    /// <summary>Two transactions got in each other's way (serialization failure, deadlock): the client tries again.</summary>
    public static bool IsContention(PostgresException ex) =>
        ex.SqlState is PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected;

    public static Conflict<ProblemDetails> Conflict(PostgresException ex)
    {
        var (field, message) = UniqueConstraints.GetValueOrDefault(ex.ConstraintName ?? string.Empty, ("body", "The value is already taken."));
        return Problems.Conflict(message, field);
    }

    public static ValidationProblem Invalid(PostgresException ex)
    {
        var constraint = ex.ConstraintName ?? string.Empty;
        var (field, message) = ex.SqlState switch
        {
            PostgresErrorCodes.ForeignKeyViolation when ex.MessageText.Contains("is still referenced", StringComparison.Ordinal) =>
                ("id", "Other records still refer to this one."),
            PostgresErrorCodes.ForeignKeyViolation => (ForeignKeyFields.GetValueOrDefault(constraint, "id"), "No such record."),
            PostgresErrorCodes.CheckViolation => (CheckFields.GetValueOrDefault(constraint, constraint), $"The value breaks the rule {constraint}."),
            PostgresErrorCodes.NotNullViolation => (ex.ColumnName ?? "body", "A value is required."),
            _ => ("body", "A value is too long."),
        };
        return Problems.Invalid(field, message);
    }

    /// <summary>The answer to a class 22 or 23 error that reached the exception handler (409 or 400, never 503).</summary>
    public static ProblemDetails Problem(PostgresException ex)
    {
        if (IsConflict(ex))
        {
            return Conflict(ex).Value!;
        }

        if (ex.SqlState == PostgresErrorCodes.RestrictViolation
            || (ex.SqlState == PostgresErrorCodes.ForeignKeyViolation && ex.MessageText.Contains("is still referenced", StringComparison.Ordinal)))
        {
            return Problems.Conflict("Other records still refer to this one.", "id").Value!;
        }

        if (IsInvalid(ex))
        {
            return Invalid(ex).ProblemDetails;
        }

        // Any other data exception: a value the database cannot take (a date out of its range, a number too large, text
        // in an encoding it refuses). The server's words say which; they never contain the rows of others.
        return Problems.Invalid(ex.ColumnName ?? "body", $"The value cannot be stored: {ex.MessageText}.").ProblemDetails;
    }
}
