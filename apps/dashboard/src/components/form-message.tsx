// The one line under a form that says whether saving worked: an alert for errors, a status for success.

export interface FormNote {
  kind: 'error' | 'ok';
  text: string;
}

export function FormMessage({ message }: { message: FormNote | null }) {
  if (!message) return null;
  const isError = message.kind === 'error';
  return (
    <p class={isError ? 'error' : 'ok'} role={isError ? 'alert' : 'status'}>
      {message.text}
    </p>
  );
}
