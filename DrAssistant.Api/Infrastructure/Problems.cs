using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace DrAssistant.Api.Infrastructure;

/// <summary>Expected refusals as results (never exceptions): 409s that say why, naming the field when there is one.</summary>
public static class Problems
{
    public static Conflict<ProblemDetails> Conflict(string detail, string? field = null)
    {
        var problem = new ProblemDetails { Title = "Conflict", Status = StatusCodes.Status409Conflict, Detail = detail };
        if (field is not null)
        {
            problem.Extensions["errors"] = new Dictionary<string, string[]> { [field] = [detail] };
        }

        return TypedResults.Conflict(problem);
    }

    /// <summary>A 409 for a step the record's current status does not allow.</summary>
    public static Conflict<ProblemDetails> WrongStatus(string what, string status, string step) =>
        Conflict($"{("aeiou".Contains(what[0], StringComparison.Ordinal) ? "An" : "A")} {what} that is {status.Replace('_', ' ')} cannot be {step}.", "status");

    public static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] });
}
