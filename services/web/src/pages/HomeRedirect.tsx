import type { Me } from "@pris/domain";
import { Navigate } from "react-router";
import { useMe } from "../session.tsx";

/** Where each role's work is: the declaration form, the queue, the statistics. */
export function homePath(me: Me): string {
  return me.role === "analyst" || me.role === "taskforce"
    ? "/file"
    : me.role === "ars"
      ? "/statistiques"
      : me.role === "admin"
        ? "/administration/premiers-pas"
        : me.establishments.length > 0
          ? "/declarer"
          : "/incidents";
}

/** Each role lands where its work is. */
export function HomeRedirect() {
  return <Navigate to={homePath(useMe())} replace />;
}
