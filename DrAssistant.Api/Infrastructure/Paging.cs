namespace DrAssistant.Api.Infrastructure;

/// <summary>A page of a list that can grow without bound.</summary>
public sealed record PagedList<T>(IReadOnlyList<T> Items, int Page, int PageSize, bool HasMore);

/// <summary>
/// Page numbers start at 1. The page size has a default and a maximum, so no request can ask for the whole table.
/// </summary>
public readonly record struct PageRequest(int Page, int PageSize)
{
    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 100;

    public int Offset => (Page - 1) * PageSize;

    /// <summary>One more row than the page, to know whether another page follows without counting.</summary>
    public int Limit => PageSize + 1;

    public static PageRequest From(int? page, int? pageSize, Validation validation)
    {
        validation.Range("page", page, 1, 1_000_000);
        validation.Range("pageSize", pageSize, 1, MaxPageSize);
        return new PageRequest(Math.Clamp(page ?? 1, 1, 1_000_000), Math.Clamp(pageSize ?? DefaultPageSize, 1, MaxPageSize));
    }

    public PagedList<T> ToPage<T>(IEnumerable<T> rows)
    {
        var list = rows.ToList();
        var hasMore = list.Count > PageSize;
        return new PagedList<T>(hasMore ? list.GetRange(0, PageSize) : list, Page, PageSize, hasMore);
    }
}
