using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace DrAssistant.Api.Infrastructure;

/// <summary>
/// The database's refusals as the client's mistakes: a unique constraint is a 409 naming the field, a foreign key to a
/// missing row or a broken CHECK is a 400 naming the field. Constraint names are the schema's (see the migrations).
/// </summary>
public static class DbErrors
{
    private static readonly Dictionary<string, (string Field, string Message)> UniqueConstraints = new(StringComparer.Ordinal)
    {
        ["users_username_key"] = ("username", "A user with this username already exists."),
        ["users_email_key"] = ("email", "A user with this email already exists."),
        ["patients_mrn_key"] = ("mrn", "A patient with this MRN already exists."),
        ["patients_abha_id_key"] = ("abhaId", "A patient with this ABHA id already exists."),
    };

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

    public static bool IsConflict(PostgresException ex) => ex.SqlState == PostgresErrorCodes.UniqueViolation;

    public static bool IsInvalid(PostgresException ex) => ex.SqlState is PostgresErrorCodes.ForeignKeyViolation
        or PostgresErrorCodes.CheckViolation or PostgresErrorCodes.StringDataRightTruncation or PostgresErrorCodes.NotNullViolation;

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
}
