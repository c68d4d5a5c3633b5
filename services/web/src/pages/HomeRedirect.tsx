import { Navigate } from "react-router";
import { useMe } from "../session.tsx";

/** An establishment's officer lands on the declaration form; the pole's staff on the list. */
export function HomeRedirect() {
  const me = useMe();
  return <Navigate to={me.establishments.length > 0 ? "/declarer" : "/incidents"} replace />;
}
