using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace DrAssistant.Api.Infrastructure;

/// <summary>
/// The outcome of a change (<see cref="Changed{TRow}"/>) as HTTP: one mapping (<see cref="Answer"/>), and the shapes an
/// endpoint declares around it (with a 400 for input validated first, without the 403 where there is no owner), so
/// every transition of every feature answers the same way.
/// </summary>
public static class TransitionAnswers
{
    /// <summary>
    /// The one mapping of a change's outcome to HTTP: the answer built from the row, 404, 403, or a 409 that says why
    /// (<paramref name="what"/> "cannot be <paramref name="verb"/>" for a status that does not allow it).
    /// </summary>
    public static Results<TOk, NotFound, Conflict<ProblemDetails>, ForbidHttpResult> Answer<TRow, TOk>(
        this Changed<TRow> changed, string what, string verb, Func<TRow, TOk> answer)
        where TRow : class
        where TOk : IResult => changed.Refusal switch
        {
            null => answer(changed.Row!),
            { Kind: Refused.NotFound } => TypedResults.NotFound(),
            { Kind: Refused.NotOwner } => TypedResults.Forbid(),
            { Kind: Refused.WrongStatus, Status: { } status } => Problems.WrongStatus(what, status, verb),
            { Kind: Refused.Conflict, Detail: { } detail } refusal => Problems.Conflict(detail, refusal.Field),
            { } refusal => throw new InvalidOperationException($"Unexpected refusal {refusal.Kind}."),
        };

    /// <summary>A change whose input is validated first: 400 naming the fields, or the change and its one mapping.</summary>
    public static async Task<Results<TOk, NotFound, ValidationProblem, Conflict<ProblemDetails>, ForbidHttpResult>> ChangeIfValid<TRow, TOk>(
        this Validation validation, Func<Task<Changed<TRow>>> change, string what, string verb, Func<TRow, TOk> answer)
        where TRow : class
        where TOk : IResult =>
        validation.IsValid ? (await change()).Answer(what, verb, answer).OrInvalid() : TypedResults.ValidationProblem(validation.Errors);

    /// <summary>The same for a change anyone may make (it never answers 403).</summary>
    public static async Task<Results<TOk, NotFound, ValidationProblem, Conflict<ProblemDetails>>> MoveIfValid<TRow, TOk>(
        this Validation validation, Func<Task<Changed<TRow>>> change, string what, string verb, Func<TRow, TOk> answer)
        where TRow : class
        where TOk : IResult =>
        validation.IsValid ? (await change()).UnownedOrInvalid(what, verb, answer) : TypedResults.ValidationProblem(validation.Errors);

    /// <summary>A creation whose input is validated first: 400 naming the fields, or its one mapping (201 or 400).</summary>
    public static async Task<Results<Created<TRow>, ValidationProblem>> CreateIfValid<TRow>(
        this Validation validation, Func<Task<Changed<TRow>>> create, Func<TRow, string> location)
        where TRow : class =>
        validation.IsValid ? (await create()).AnswerCreated(location) : TypedResults.ValidationProblem(validation.Errors);

    /// <summary>The one mapping of a creation's outcome: 201 with the row where it can be read, or a 400 naming the field.</summary>
    public static Results<Created<TRow>, ValidationProblem> AnswerCreated<TRow>(this Changed<TRow> changed, Func<TRow, string> location)
        where TRow : class => changed.Refusal switch
        {
            null => TypedResults.Created(location(changed.Row!), changed.Row),
            { Kind: Refused.Invalid, Field: { } field, Detail: { } detail } => Problems.Invalid(field, detail),
            { } refusal => throw new InvalidOperationException($"Unexpected refusal {refusal.Kind}."),
        };

    /// <summary>The same answers, for a step anyone may take (it never answers 403).</summary>
    public static Results<TOk, NotFound, Conflict<ProblemDetails>> Unowned<TOk>(
        this Results<TOk, NotFound, Conflict<ProblemDetails>, ForbidHttpResult> result)
        where TOk : IResult => result.Result switch
        {
            TOk ok => ok,
            NotFound notFound => notFound,
            Conflict<ProblemDetails> conflict => conflict,
            _ => throw new InvalidOperationException($"Unexpected result {result.Result.GetType().Name}."),
        };

    /// <summary>The same answers, for an endpoint that may also answer 400 (it validated its input first).</summary>
    public static Results<TOk, NotFound, ValidationProblem, Conflict<ProblemDetails>, ForbidHttpResult> OrInvalid<TOk>(
        this Results<TOk, NotFound, Conflict<ProblemDetails>, ForbidHttpResult> result)
        where TOk : IResult => result.Result switch
        {
            TOk ok => ok,
            NotFound notFound => notFound,
            Conflict<ProblemDetails> conflict => conflict,
            ForbidHttpResult forbid => forbid,
            _ => throw new InvalidOperationException($"Unexpected result {result.Result.GetType().Name}."),
        };

    /// <summary>
    /// The same answers for a step anyone may take that may also answer 400: its input was refused up front, or it
    /// does not fit the row as it is (<see cref="Refused.Invalid"/>).
    /// </summary>
    public static Results<TOk, NotFound, ValidationProblem, Conflict<ProblemDetails>> UnownedOrInvalid<TRow, TOk>(
        this Changed<TRow> changed, string what, string verb, Func<TRow, TOk> answer)
        where TRow : class
        where TOk : IResult
    {
        if (changed.Refusal is { Kind: Refused.Invalid, Field: { } field, Detail: { } detail })
        {
            return Problems.Invalid(field, detail);
        }

        return changed.Answer(what, verb, answer).Unowned().Result switch
        {
            TOk ok => ok,
            NotFound notFound => notFound,
            Conflict<ProblemDetails> conflict => conflict,
            var other => throw new InvalidOperationException($"Unexpected result {other.GetType().Name}."),
        };
    }
}
