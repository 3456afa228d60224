// The button under a paged list that fetches the next page, and what went wrong if that failed.

export function LoadMore(props: {
  label: string;
  hasMore: boolean;
  onLoad: () => void;
  error: string | null;
}) {
  return (
    <>
      {props.hasMore && (
        <button type="button" class="btn" onClick={props.onLoad}>
          {props.label}
        </button>
      )}
      {props.error && (
        <p class="error" role="alert">
          {props.error}
        </p>
      )}
    </>
  );
}
