import { Navigate } from "react-router";
import { useMe } from "../session.tsx";

/** Each role lands where its work is: the declaration form, the queue, the statistics. */
export function HomeRedirect() {
  const me = useMe();
  const to =
    me.role === "analyst" || me.role === "taskforce"
      ? "/file"
      : me.role === "ars"
        ? "/statistiques"
        : me.role === "admin"
          ? "/administration/premiers-pas"
          : me.establishments.length > 0
            ? "/declarer"
            : "/incidents";
  return <Navigate to={to} replace />;
}
